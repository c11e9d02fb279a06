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

/// Renders every file and writes them to `dir`, replacing what was there
/// only once all are written. Returns how many files were written.
///
/// # Errors
///
/// Fails when synthesis fails or a file cannot be written; `dir` is then
/// left as it was.
pub fn write(env: &CompiledEnv, dir: &Path) -> Result<usize, SynthError> {
    let files = render(env)?;
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| SynthError::Write { path, source }
    };
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(io(&parent))?;
    let staging = tempfile::Builder::new()
        .prefix(".onioncloud-synth-")
        .tempdir_in(&parent)
        .map_err(io(&parent))?;
    for (relative, text) in &files {
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
    let staged = staging.keep();
    let old = parent.join(format!(
        ".onioncloud-old-{}",
        staged.file_name().unwrap_or_default().to_string_lossy()
    ));
    let had_old = dir.exists();
    if had_old {
        std::fs::rename(dir, &old).map_err(io(dir))?;
    }
    if let Err(source) = std::fs::rename(&staged, dir) {
        if had_old {
            let _ = std::fs::rename(&old, dir);
        }
        let _ = std::fs::remove_dir_all(&staged);
        return Err(SynthError::Write {
            path: dir.to_owned(),
            source,
        });
    }
    if had_old {
        std::fs::remove_dir_all(&old).map_err(io(&old))?;
    }
    Ok(files.len())
}
