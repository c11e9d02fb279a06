//! Synthesis of every output file: Terraform JSON and the Salt trees,
//! written all or nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use onioncloud_core::CompiledEnv;

/// What synthesis can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SynthError {
    /// Terraform JSON synthesis failed.
    #[error(transparent)]
    Terraform(#[from] onioncloud_core::terraform::SynthError),
    /// Salt synthesis failed.
    #[error("salt synthesis failed")]
    Salt(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The output directory cannot be used.
    #[error("cannot synthesize into {}: {reason}", path.display())]
    Target {
        /// The directory.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A file or directory could not be written.
    #[error("cannot write {}", path.display())]
    Write {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Every synthesized file, by path relative to the output directory:
/// `terraform/<cloud>/main.tf.json`, `salt/...` and `pillar/...`.
///
/// # Errors
///
/// Fails when the Terraform or the Salt synthesis fails.
pub fn render(
    env: &CompiledEnv,
) -> Result<BTreeMap<PathBuf, String>, SynthError> {
    render_with(env, None)
}

/// Like [`render`], with the Salt pillar values and the `salt-ssh`
/// roster's hosts that come from the infrastructure filled in from a
/// deployed state.
///
/// # Errors
///
/// Fails when the Terraform or the Salt synthesis fails.
pub fn render_deployed(
    env: &CompiledEnv,
    deployed: onioncloud_salt::Deployed<'_>,
) -> Result<BTreeMap<PathBuf, String>, SynthError> {
    render_with(env, Some(deployed))
}

fn render_with(
    env: &CompiledEnv,
    deployed: Option<onioncloud_salt::Deployed<'_>>,
) -> Result<BTreeMap<PathBuf, String>, SynthError> {
    let mut files = BTreeMap::new();
    let terraform = onioncloud_core::terraform::synth(env)?;
    tracing::debug!(modules = terraform.len(), "terraform json rendered");
    for (path, text) in terraform {
        files.insert(Path::new("terraform").join(path), text);
    }
    let salt = match deployed {
        Some(deployed) => onioncloud_salt::synth_deployed(env, deployed)
            .map(|salt| salt.files),
        None => onioncloud_salt::synth(env),
    };
    files.extend(salt.map_err(|e| SynthError::Salt(e.into()))?);
    Ok(files)
}

/// The manifest of a directory written by `synth`: the files it wrote,
/// one relative path a line. A directory without it is never replaced, so
/// that a mistyped `--out` cannot delete a user's files; files not listed
/// in it (Terraform's `.terraform/`, lock file and local state, say) are
/// carried over into each new output.
pub const MARKER: &str = ".onioncloud-synth";

/// Renders every file and writes them to `dir`, replacing what `synth`
/// wrote there before only once all are written. Returns how many files
/// were written.
///
/// `dir` must be absent, empty, or a previous output of `synth` (it holds
/// the [`MARKER`] manifest). Files in it that `synth` did not write, such
/// as Terraform's working files, are kept.
///
/// # Errors
///
/// Fails when synthesis fails, `dir` is not a directory or holds files
/// but no manifest, or a file cannot be written; `dir` is then left as it
/// was.
pub fn write(env: &CompiledEnv, dir: &Path) -> Result<usize, SynthError> {
    write_files(&render(env)?, dir)
}

/// Writes rendered `files` to `dir` as [`write()`] does.
///
/// # Errors
///
/// Those of [`write()`], but for synthesis.
pub fn write_files(
    files: &BTreeMap<PathBuf, String>,
    dir: &Path,
) -> Result<usize, SynthError> {
    let owned = check_target(dir)?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(io(&parent))?;

    // Every file goes into a staging directory beside the target, which
    // is removed on any failure until it has taken the target's place.
    let staging = tempfile::Builder::new()
        .prefix(".onioncloud-synth-")
        .tempdir_in(&parent)
        .map_err(io(&parent))?;
    let mut manifest = String::new();
    for relative in files.keys() {
        manifest.push_str(&relative.to_string_lossy());
        manifest.push('\n');
    }
    let marker = PathBuf::from(MARKER);
    for (relative, text) in files.iter().chain([(&marker, &manifest)]) {
        let path = staging.path().join(relative);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).map_err(io(p))?;
        }
        let mut file = std::fs::File::create(&path).map_err(io(&path))?;
        file.write_all(text.as_bytes()).map_err(io(&path))?;
        file.sync_all().map_err(io(&path))?;
    }

    // What synth did not write comes along, as hard links: until the
    // swap below, the old directory still holds every original, so a
    // failure here loses nothing.
    if let Some(owned) = &owned {
        carry_over(dir, staging.path(), Path::new(""), owned, files)?;
    }

    // Swap the directories: the old output stays whole until the new one
    // is complete, and is removed only after the new one is in place.
    let old = parent.join(format!(
        ".onioncloud-old-{}",
        staging
            .path()
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
    ));
    let had_old = owned.is_some();
    if had_old {
        std::fs::rename(dir, &old).map_err(io(dir))?;
    }
    if let Err(source) = std::fs::rename(staging.path(), dir) {
        if had_old {
            let _ = std::fs::rename(&old, dir);
        }
        return Err(SynthError::Write {
            path: dir.to_owned(),
            source,
        });
    }
    let _ = staging.keep();
    if had_old {
        std::fs::remove_dir_all(&old).map_err(io(&old))?;
    }
    tracing::info!(
        files = files.len(),
        directory = %dir.display(),
        "synthesized"
    );
    Ok(files.len())
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SynthError + use<> {
    let path = path.to_owned();
    move |source| SynthError::Write { path, source }
}

/// Hard-links into `to` every entry of `from` (below `relative`) that the
/// previous synth did not write and the new one does not write either.
fn carry_over(
    from: &Path,
    to: &Path,
    relative: &Path,
    owned: &BTreeSet<PathBuf>,
    new: &BTreeMap<PathBuf, String>,
) -> Result<(), SynthError> {
    let here = from.join(relative);
    for entry in std::fs::read_dir(&here).map_err(io(&here))? {
        let entry = entry.map_err(io(&here))?;
        let name = relative.join(entry.file_name());
        if name == Path::new(MARKER) || owned.contains(&name) {
            continue;
        }
        let source = from.join(&name);
        let target = to.join(&name);
        let kind = entry.file_type().map_err(io(&source))?;
        if kind.is_dir() {
            std::fs::create_dir_all(&target).map_err(io(&target))?;
            carry_over(from, to, &name, owned, new)?;
        } else if new.contains_key(&name) {
            // A file of the user's where synth now writes one: keep the
            // user's, beside it, rather than lose either.
            return Err(SynthError::Target {
                path: source,
                reason: "synth would overwrite this file, which it did not \
                         write; move it away"
                    .to_owned(),
            });
        } else if kind.is_symlink() {
            let link = std::fs::read_link(&source).map_err(io(&source))?;
            std::os::unix::fs::symlink(link, &target).map_err(io(&target))?;
        } else {
            std::fs::hard_link(&source, &target).map_err(io(&target))?;
        }
    }
    Ok(())
}

/// Refuses a target that is not a directory, or a directory with files
/// but no manifest. Returns the files the previous synth wrote, or `None`
/// when there is nothing to replace.
fn check_target(dir: &Path) -> Result<Option<BTreeSet<PathBuf>>, SynthError> {
    let refuse = |reason: &str| SynthError::Target {
        path: dir.to_owned(),
        reason: reason.to_owned(),
    };
    let metadata = match std::fs::symlink_metadata(dir) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(SynthError::Write {
                path: dir.to_owned(),
                source,
            });
        }
    };
    if metadata.is_symlink() {
        return Err(refuse(
            "it is a symbolic link; give the directory it points to",
        ));
    }
    if !metadata.is_dir() {
        return Err(refuse("it exists and is not a directory"));
    }
    let marker = dir.join(MARKER);
    if marker.is_file() {
        let text = std::fs::read_to_string(&marker).map_err(io(&marker))?;
        return Ok(Some(text.lines().map(PathBuf::from).collect()));
    }
    let mut entries = std::fs::read_dir(dir).map_err(io(dir))?;
    if entries.next().is_some() {
        return Err(refuse(
            "it holds files that synth did not write; choose a new or \
             empty directory",
        ));
    }
    Ok(Some(BTreeSet::new()))
}
