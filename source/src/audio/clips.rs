//! The fixed speech-clip set and its train / held-out split.
//!
//! **Where the clips come from.** pyannote.audio (MIT licence) ships 30-second recordings of
//! real meeting speech in its source archive: the test data of its speaker-diarization tests
//! (`tests/data/{trn,dev,tst}NN.wav`; their speaker labels, e.g. `MEE068`, are those of the AMI
//! Meeting Corpus) and the two-speaker sample of its tutorials (`sample.wav`). All are mono,
//! 16 kHz. The test files are stored as 32-bit float WAVs whose every sample is an exact 16-bit
//! value, so they read losslessly as 16-bit PCM ([`crate::audio::wav`]).
//!
//! [`CLIPS_BUNDLE`] pins that archive, `pyannote_audio-4.0.7.tar.gz` from PyPI, by URL and
//! SHA-256, and each clip by its own SHA-256; the model cache fetches it like the other bundles
//! ([`crate::model_cache::fetch_bundle`]: downloaded, checked, extracted into a temporary folder
//! renamed into place as `<cache>/pyannote-clips-4.0.7/`; every load re-checks the hashes).
//!
//! **Split.** The `trn` clips are for fitting or tuning anything learned; every reported figure
//! uses only the held-out clips (`dev`, `tst` and the tutorial sample), about 2.5 minutes.

use crate::audio::wav::{load_wav, Audio};
use crate::model_cache::{fetch_bundle, BundleArchive, BundleFile, ModelBundle, SdistPin};
use crate::SourceError;
use std::path::PathBuf;

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
    pub split: Split,
}

impl Clip {
    /// File name inside the cache folder.
    pub fn file_name(&self) -> String {
        format!("{}.wav", self.name)
    }

    /// The recorded SHA-256 of the clip's file.
    pub fn sha256(&self) -> &'static str {
        CLIPS_BUNDLE.files.iter().find(|f| f.file_name == self.file_name()).map_or("", |f| f.sha256)
    }
}

const fn clip(name: &'static str, split: Split) -> Clip {
    Clip { name, split }
}

/// The clips, training ones first.
pub const CLIPS: &[Clip] = &[
    clip("trn01", Split::Train),
    clip("trn02", Split::Train),
    clip("trn03", Split::Train),
    clip("trn04", Split::Train),
    clip("trn05", Split::Train),
    clip("trn06", Split::Train),
    clip("trn07", Split::Train),
    clip("trn08", Split::Train),
    clip("trn09", Split::Train),
    clip("dev00", Split::HeldOut),
    clip("dev01", Split::HeldOut),
    clip("tst00", Split::HeldOut),
    clip("tst01", Split::HeldOut),
    clip("sample", Split::HeldOut),
];

const fn test_data(member: &'static str, file_name: &'static str, sha256: &'static str) -> BundleFile {
    BundleFile { member, file_name, sha256, size_bytes: 1_920_062 }
}

/// The clips as a bundle of files from pyannote.audio's pinned source archive (same order as
/// [`CLIPS`]).
pub const CLIPS_BUNDLE: ModelBundle = ModelBundle {
    name: "pyannote-clips",
    pypi_package: "pyannote.audio",
    pypi_version: "4.0.7",
    archive: BundleArchive::Sdist(SdistPin {
        url: "https://files.pythonhosted.org/packages/6d/d7/03b1d00d431c7be1d98635fefb99c2da64d9b84b4b8a06d5302666a96c88/pyannote_audio-4.0.7.tar.gz",
        sha256: "3a903dfb5ca711d134cc2522561c9158b186836f5d62e8a57c46c6648e8a8229",
        size_bytes: 13_963_479,
    }),
    files: &[
        test_data(
            "pyannote_audio-4.0.7/tests/data/trn01.wav",
            "trn01.wav",
            "b5e8d91105604d25cb05cc3840d015d88bd6689a2acba35506dd0d7dcb00668a",
        ),
        test_data(
            "pyannote_audio-4.0.7/tests/data/trn02.wav",
            "trn02.wav",
            "2e4ce968332e68cac5ed74cd00f96b63ed6c034667583be34a32a7c2aa260803",
        ),
        test_data(
            "pyannote_audio-4.0.7/tests/data/trn03.wav",
            "trn03.wav",
            "d12d132a6d4788f85efaa8e18563e575746e6a6fcc928e919c7c0e6a3e0238b2",
        ),
        test_data(
            "pyannote_audio-4.0.7/tests/data/trn04.wav",
            "trn04.wav",
            "afa4bd13ee05be34953beb594d0d755ba83284c5a742ae27e388952d41c4d0f1",
        ),
        test_data(
            "pyannote_audio-4.0.7/tests/data/trn05.wav",
            "trn05.wav",
            "ec694aa5c9eea7453263eaf90d38ed921c1b6f8cc4f52897d9a4457a504d668d",
        ),
        test_data(
            "pyannote_audio-4.0.7/tests/data/trn06.wav",
            "trn06.wav",
            "e70cbed4f13c7971fdf9d424b079d87a25ed1ce3928da0bccd18f143eb4ac359",
        ),
        test_data(
            "pyannote_audio-4.0.7/tests/data/trn07.wav",
            "trn07.wav",
            "77628cd91dcc27c61f9b709e670f003cb860d597fda56e7ccb0ccbbc42d5a26f",
        ),
        test_data(
            "pyannote_audio-4.0.7/tests/data/trn08.wav",
            "trn08.wav",
            "a7d3397e82cb1025307f08b0fe8459a9d43fe61f3d9ce674f17819c7450bfac5",
        ),
        test_data(
            "pyannote_audio-4.0.7/tests/data/trn09.wav",
            "trn09.wav",
            "8e18bc410e6d54a166bbba2ff0b46a222626706788fa222add4f97bca842f822",
        ),
        test_data(
            "pyannote_audio-4.0.7/tests/data/dev00.wav",
            "dev00.wav",
            "187386cda67317574da5b30068a8b853e52cc6df0d13abfec381912dfa9e7461",
        ),
        test_data(
            "pyannote_audio-4.0.7/tests/data/dev01.wav",
            "dev01.wav",
            "13834217e1bd46a581af1b8040018bfba1e65ce1e0b9ee46cdcefa9334b9ddea",
        ),
        test_data(
            "pyannote_audio-4.0.7/tests/data/tst00.wav",
            "tst00.wav",
            "0af781fb566501f7950479fd8bd92329276782c7ac930a03497d553b21c33397",
        ),
        test_data(
            "pyannote_audio-4.0.7/tests/data/tst01.wav",
            "tst01.wav",
            "a40925742870d05363eb781bd2cf1501fc37883cf003389175a39b24a5b2c7c9",
        ),
        BundleFile {
            member: "pyannote_audio-4.0.7/src/pyannote/audio/sample/sample.wav",
            file_name: "sample.wav",
            sha256: "c319b4abca767b124e41432d364fd7df006cb26bb79d09326c487d606a134e6e",
            size_bytes: 960_104,
        },
    ],
};

/// Clips on one side of the split.
pub fn clips(split: Split) -> impl Iterator<Item = &'static Clip> {
    CLIPS.iter().filter(move |c| c.split == split)
}

/// Look up a clip by name.
pub fn clip_by_name(name: &str) -> Option<&'static Clip> {
    CLIPS.iter().find(|c| c.name == name)
}

/// The verified cache folder of the clips, fetching them first if needed.
pub fn clips_dir(verbose: bool) -> Result<PathBuf, SourceError> {
    fetch_bundle(&CLIPS_BUNDLE, verbose)
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
        assert_eq!(CLIPS.len(), CLIPS_BUNDLE.files.len());
        for (c, f) in CLIPS.iter().zip(CLIPS_BUNDLE.files) {
            assert_eq!(f.file_name, c.file_name());
            assert!(f.member.ends_with(&format!("/{}", c.file_name())), "{f:?}");
            assert_eq!(c.sha256().len(), 64);
        }
        assert_eq!(clips(Split::HeldOut).count(), 5);
        assert!(clips(Split::Train).all(|c| c.name.starts_with("trn")));
        assert!(clip_by_name("tst00").is_some_and(|c| c.split == Split::HeldOut));
    }
}
