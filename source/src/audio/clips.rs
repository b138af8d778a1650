//! The fixed speech-clip set and its train / held-out split.
//!
//! **Where the clips come from.** pyannote.audio (MIT licence) ships 30-second recordings of
//! real meeting speech in its source archive: the test data of its speaker-diarization tests
//! (`tests/data/{trn,dev,tst}NN.wav`; their speaker labels, e.g. `MEE068`, are those of the AMI
//! Meeting Corpus) and the two-speaker sample of its tutorials (`sample.wav`). All are mono,
//! 16 kHz. The test files are stored as 32-bit float WAVs whose every sample is an exact 16-bit
//! value, so they read losslessly as 16-bit PCM ([`crate::audio::wav`]).
//!
//! [`CLIPS_SDIST`] pins that archive, `pyannote_audio-4.0.7.tar.gz` from PyPI, by URL and
//! SHA-256. pip cannot fetch a source archive without building it, so it is downloaded by
//! `python3`'s `urllib` (the same program the model fetch already needs); the archive's hash is
//! checked, the clips are extracted into a temporary folder, each is checked against its own
//! recorded SHA-256, and the folder is renamed into place (`<cache>/pyannote-clips-4.0.7/`), so a
//! crash never leaves a half-written set. Every load re-checks the hashes.
//!
//! **Split.** The `trn` clips are for fitting or tuning anything learned; every reported figure
//! uses only the held-out clips (`dev`, `tst` and the tutorial sample), about 2.5 minutes.

use crate::audio::wav::{load_wav, Audio};
use crate::model_cache::{cache_dir, sha256_file, unique_temp_path};
use crate::SourceError;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Which side of the fixed split a clip is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// For fitting or tuning; never in a reported figure.
    Train,
    /// For every reported figure.
    HeldOut,
}

/// One clip of the fixed set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clip {
    /// Short name (the file name without `.wav`).
    pub name: &'static str,
    /// Path inside the source archive.
    pub member: &'static str,
    /// SHA-256 of the file as stored in the archive (hex).
    pub sha256: &'static str,
    pub size_bytes: u64,
    pub split: Split,
}

impl Clip {
    /// File name inside the cache folder.
    pub fn file_name(&self) -> String {
        format!("{}.wav", self.name)
    }
}

/// A pinned PyPI source archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdistPin {
    pub package: &'static str,
    pub version: &'static str,
    pub url: &'static str,
    pub sha256: &'static str,
    pub size_bytes: u64,
}

/// The archive the clips come from.
pub const CLIPS_SDIST: SdistPin = SdistPin {
    package: "pyannote.audio",
    version: "4.0.7",
    url: "https://files.pythonhosted.org/packages/6d/d7/03b1d00d431c7be1d98635fefb99c2da64d9b84b4b8a06d5302666a96c88/pyannote_audio-4.0.7.tar.gz",
    sha256: "3a903dfb5ca711d134cc2522561c9158b186836f5d62e8a57c46c6648e8a8229",
    size_bytes: 13_963_479,
};

/// Name of the cache folder (and of the set on the command line).
pub const CLIPS_NAME: &str = "pyannote-clips";

const fn test_clip(name: &'static str, member: &'static str, sha256: &'static str, split: Split) -> Clip {
    Clip { name, member, sha256, size_bytes: 1_920_062, split }
}

/// The clips, training ones first.
pub const CLIPS: &[Clip] = &[
    test_clip(
        "trn01",
        "pyannote_audio-4.0.7/tests/data/trn01.wav",
        "b5e8d91105604d25cb05cc3840d015d88bd6689a2acba35506dd0d7dcb00668a",
        Split::Train,
    ),
    test_clip(
        "trn02",
        "pyannote_audio-4.0.7/tests/data/trn02.wav",
        "2e4ce968332e68cac5ed74cd00f96b63ed6c034667583be34a32a7c2aa260803",
        Split::Train,
    ),
    test_clip(
        "trn03",
        "pyannote_audio-4.0.7/tests/data/trn03.wav",
        "d12d132a6d4788f85efaa8e18563e575746e6a6fcc928e919c7c0e6a3e0238b2",
        Split::Train,
    ),
    test_clip(
        "trn04",
        "pyannote_audio-4.0.7/tests/data/trn04.wav",
        "afa4bd13ee05be34953beb594d0d755ba83284c5a742ae27e388952d41c4d0f1",
        Split::Train,
    ),
    test_clip(
        "trn05",
        "pyannote_audio-4.0.7/tests/data/trn05.wav",
        "ec694aa5c9eea7453263eaf90d38ed921c1b6f8cc4f52897d9a4457a504d668d",
        Split::Train,
    ),
    test_clip(
        "trn06",
        "pyannote_audio-4.0.7/tests/data/trn06.wav",
        "e70cbed4f13c7971fdf9d424b079d87a25ed1ce3928da0bccd18f143eb4ac359",
        Split::Train,
    ),
    test_clip(
        "trn07",
        "pyannote_audio-4.0.7/tests/data/trn07.wav",
        "77628cd91dcc27c61f9b709e670f003cb860d597fda56e7ccb0ccbbc42d5a26f",
        Split::Train,
    ),
    test_clip(
        "trn08",
        "pyannote_audio-4.0.7/tests/data/trn08.wav",
        "a7d3397e82cb1025307f08b0fe8459a9d43fe61f3d9ce674f17819c7450bfac5",
        Split::Train,
    ),
    test_clip(
        "trn09",
        "pyannote_audio-4.0.7/tests/data/trn09.wav",
        "8e18bc410e6d54a166bbba2ff0b46a222626706788fa222add4f97bca842f822",
        Split::Train,
    ),
    test_clip(
        "dev00",
        "pyannote_audio-4.0.7/tests/data/dev00.wav",
        "187386cda67317574da5b30068a8b853e52cc6df0d13abfec381912dfa9e7461",
        Split::HeldOut,
    ),
    test_clip(
        "dev01",
        "pyannote_audio-4.0.7/tests/data/dev01.wav",
        "13834217e1bd46a581af1b8040018bfba1e65ce1e0b9ee46cdcefa9334b9ddea",
        Split::HeldOut,
    ),
    test_clip(
        "tst00",
        "pyannote_audio-4.0.7/tests/data/tst00.wav",
        "0af781fb566501f7950479fd8bd92329276782c7ac930a03497d553b21c33397",
        Split::HeldOut,
    ),
    test_clip(
        "tst01",
        "pyannote_audio-4.0.7/tests/data/tst01.wav",
        "a40925742870d05363eb781bd2cf1501fc37883cf003389175a39b24a5b2c7c9",
        Split::HeldOut,
    ),
    Clip {
        name: "sample",
        member: "pyannote_audio-4.0.7/src/pyannote/audio/sample/sample.wav",
        sha256: "c319b4abca767b124e41432d364fd7df006cb26bb79d09326c487d606a134e6e",
        size_bytes: 960_104,
        split: Split::HeldOut,
    },
];

/// Clips on one side of the split.
pub fn clips(split: Split) -> impl Iterator<Item = &'static Clip> {
    CLIPS.iter().filter(move |c| c.split == split)
}

/// Look up a clip by name.
pub fn clip_by_name(name: &str) -> Option<&'static Clip> {
    CLIPS.iter().find(|c| c.name == name)
}

/// Cache folder of the clips (may not exist yet).
pub fn clips_cache_dir() -> PathBuf {
    cache_dir().join(format!("{CLIPS_NAME}-{}", CLIPS_SDIST.version))
}

/// Check that `dir` holds every clip with its recorded hash.
fn verify(dir: &Path) -> Result<(), SourceError> {
    for clip in CLIPS {
        let path = dir.join(clip.file_name());
        let hash = sha256_file(&path)?;
        if hash != clip.sha256 {
            return Err(SourceError::file(
                &path,
                format!("corrupt clip: sha256 {hash}, expected {} (delete {} to re-fetch)", clip.sha256, dir.display()),
            ));
        }
    }
    Ok(())
}

/// The verified cache folder of the clips, fetching them first if needed.
pub fn clips_dir(verbose: bool) -> Result<PathBuf, SourceError> {
    let target = clips_cache_dir();
    if target.is_dir() {
        verify(&target)?;
        return Ok(target);
    }
    let parent = cache_dir();
    std::fs::create_dir_all(&parent)
        .map_err(|e| SourceError::file(&parent, format!("cannot create cache folder: {e}")))?;
    if verbose {
        eprintln!(
            "lmsscc: fetching the speech clips ({} MB archive of PyPI package {}=={}) into {}",
            CLIPS_SDIST.size_bytes / 1_000_000,
            CLIPS_SDIST.package,
            CLIPS_SDIST.version,
            target.display()
        );
    }
    let archive = unique_temp_path(&parent, "sdist");
    let result = download(&CLIPS_SDIST, &archive).and_then(|()| extract(&archive, &target));
    let _ = std::fs::remove_file(&archive);
    result?;
    Ok(target)
}

/// Download `pin.url` to `to` with python3's urllib and check the archive's hash.
fn download(pin: &SdistPin, to: &Path) -> Result<(), SourceError> {
    let script = "import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])";
    let output =
        Command::new("python3").args(["-c", script, pin.url]).arg(to).output().map_err(|e| {
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
    let hash = sha256_file(to)?;
    if hash != pin.sha256 {
        return Err(SourceError::file(to, format!("{} has sha256 {hash}, expected {}", pin.url, pin.sha256)));
    }
    Ok(())
}

/// Extract every clip from the archive into `target`, atomically (temporary sibling folder,
/// hashes checked, then renamed).
fn extract(archive: &Path, target: &Path) -> Result<(), SourceError> {
    let parent = target.parent().unwrap_or(Path::new("."));
    let tmp = unique_temp_path(parent, "clips");
    let result = (|| {
        std::fs::create_dir_all(&tmp).map_err(|e| SourceError::file(&tmp, e))?;
        let file = std::fs::File::open(archive).map_err(|e| SourceError::file(archive, e))?;
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
        let mut found = 0;
        for entry in tar.entries().map_err(|e| SourceError::file(archive, e))? {
            let mut entry = entry.map_err(|e| SourceError::file(archive, e))?;
            let path = entry.path().map_err(|e| SourceError::file(archive, e))?.to_string_lossy().into_owned();
            let Some(clip) = CLIPS.iter().find(|c| c.member == path) else { continue };
            let mut bytes = Vec::with_capacity(clip.size_bytes as usize);
            entry.read_to_end(&mut bytes).map_err(|e| SourceError::file(archive, format!("{path}: {e}")))?;
            let out = tmp.join(clip.file_name());
            std::fs::write(&out, &bytes).map_err(|e| SourceError::file(&out, e))?;
            found += 1;
        }
        if found != CLIPS.len() {
            return Err(SourceError::file(archive, format!("holds {found} of the {} clips", CLIPS.len())));
        }
        verify(&tmp)?;
        match std::fs::rename(&tmp, target) {
            Ok(()) => Ok(()),
            // Another process finished first: keep its (verified) folder.
            Err(_) if target.is_dir() && verify(target).is_ok() => {
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

/// Load a clip of the fixed set (fetching the set if needed).
pub fn load_clip(clip: &Clip, verbose: bool) -> Result<Audio, SourceError> {
    load_wav(&clips_dir(verbose)?.join(clip.file_name()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_names_and_members_agree() {
        for c in CLIPS {
            assert!(c.member.ends_with(&format!("/{}", c.file_name())), "{c:?}");
            assert_eq!(c.sha256.len(), 64);
        }
        assert_eq!(clips(Split::HeldOut).count(), 5);
        assert!(clips(Split::Train).all(|c| c.name.starts_with("trn")));
        assert!(clip_by_name("tst00").is_some_and(|c| c.split == Split::HeldOut));
    }
}
