//! Synthesis of every output file: Terraform JSON and the Salt trees,
//! written all or nothing.

use std::collections::BTreeMap;
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
    let mut files = BTreeMap::new();
    for (path, text) in onioncloud_core::terraform::synth(env)? {
        files.insert(Path::new("terraform").join(path), text);
    }
    for (path, text) in
        onioncloud_salt::synth(env).map_err(|e| SynthError::Salt(e.into()))?
    {
        files.insert(path, text);
    }
    Ok(files)
}

/// The file that marks a directory as written by `synth`. A directory
/// without it is never replaced, so that a mistyped `--out` cannot delete a
/// user's files.
pub const MARKER: &str = ".onioncloud-synth";

/// Renders every file and writes them to `dir`, replacing what was there
/// only once all are written. Returns how many files were written.
///
/// `dir` must be absent, empty, or a previous output of `synth` (it holds
/// the [`MARKER`] file).
///
/// # Errors
///
/// Fails when synthesis fails, `dir` is not a directory or holds files
/// `synth` did not write, or a file cannot be written; `dir` is then left
/// as it was.
pub fn write(env: &CompiledEnv, dir: &Path) -> Result<usize, SynthError> {
    let files = render(env)?;
    check_target(dir)?;
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| SynthError::Write { path, source }
    };
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
    let marker = (
        PathBuf::from(MARKER),
        "Written by onioncloud synth; the whole directory is replaced by \
         the next synth.\n"
            .to_owned(),
    );
    for (relative, text) in
        files.iter().chain(std::iter::once((&marker.0, &marker.1)))
    {
        let path = staging.path().join(relative);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).map_err(io(p))?;
        }
        let mut file = std::fs::File::create(&path).map_err(io(&path))?;
        file.write_all(text.as_bytes()).map_err(io(&path))?;
        file.sync_all().map_err(io(&path))?;
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
    let had_old = dir.exists();
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
    Ok(files.len())
}

/// Refuses a target that is not a directory, or a directory with files
/// that `synth` did not write.
fn check_target(dir: &Path) -> Result<(), SynthError> {
    let refuse = |reason: &str| SynthError::Target {
        path: dir.to_owned(),
        reason: reason.to_owned(),
    };
    let metadata = match std::fs::symlink_metadata(dir) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(SynthError::Write {
                path: dir.to_owned(),
                source,
            });
        }
    };
    if !metadata.is_dir() {
        return Err(refuse("it exists and is not a directory"));
    }
    if dir.join(MARKER).is_file() {
        return Ok(());
    }
    let mut entries =
        std::fs::read_dir(dir).map_err(|source| SynthError::Write {
            path: dir.to_owned(),
            source,
        })?;
    if entries.next().is_some() {
        return Err(refuse(
            "it holds files that synth did not write; choose a new or \
             empty directory",
        ));
    }
    Ok(())
}
