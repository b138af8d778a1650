//! The fixed photo set and its train/held-out split.
//!
//! **Where the photos come from.** scikit-image ships its test photographs inside its wheel
//! (`skimage/data/*.png`). [`PHOTOS_BUNDLE`] pins the PyPI wheel
//! `scikit_image-0.24.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl` (SHA-256
//! recorded in [`PHOTOS_WHEEL`]); pip is asked for exactly that wheel whatever machine it runs on
//! (`--only-binary=:all: --python-version 3.11 --platform manylinux2014_x86_64`), so the fetch is
//! platform independent. The fetch reuses [`crate::model_cache`]'s bundle mechanism: the PNGs are
//! extracted into a temporary folder, each is checked against its recorded SHA-256, and the folder
//! is renamed into place (`<cache>/skimage-photos-0.24.0/`); every load re-checks the hashes.
//!
//! **Split.** Training photos ([`Split::Train`]) are for fitting learned models; every reported
//! figure uses only the held-out photos ([`Split::HeldOut`]). The stereo pair `motorcycle_left` /
//! `motorcycle_right` is wholly in training, so no held-out photo has a near-duplicate in training.
//! The wheel's synthetic images (chessboards, logo, text, phantom, ...) are not photographs and
//! are not used; nor are its three JPEGs (their pixels would depend on the JPEG decoder).

use crate::image::io::{load_png, Image};
use crate::model_cache::{fetch_bundle, BundleArchive, BundleFile, ModelBundle, WheelPin};
use crate::SourceError;
use std::path::PathBuf;

/// Which side of the fixed split a photo is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// For fitting learned models; never in a reported figure.
    Train,
    /// For every reported figure.
    HeldOut,
}

/// One photograph of the fixed set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Photo {
    /// Short name (the file name without `.png`).
    pub name: &'static str,
    pub width: u32,
    pub height: u32,
    /// 1 (grey) or 3 (RGB).
    pub channels: u8,
    pub split: Split,
}

impl Photo {
    /// File name inside the cache folder.
    pub fn file_name(&self) -> String {
        format!("{}.png", self.name)
    }

    /// Number of 8-bit subpixels.
    pub fn subpixels(&self) -> usize {
        self.width as usize * self.height as usize * self.channels as usize
    }
}

const fn photo(name: &'static str, width: u32, height: u32, channels: u8, split: Split) -> Photo {
    Photo { name, width, height, channels, split }
}

/// The photographs, training ones first.
pub const PHOTOS: &[Photo] = &[
    photo("motorcycle_left", 741, 500, 3, Split::Train),
    photo("motorcycle_right", 741, 500, 3, Split::Train),
    photo("brick", 512, 512, 1, Split::Train),
    photo("moon", 512, 512, 1, Split::Train),
    photo("cell", 550, 660, 1, Split::Train),
    photo("astronaut", 512, 512, 3, Split::HeldOut),
    photo("chelsea", 451, 300, 3, Split::HeldOut),
    photo("coffee", 600, 400, 3, Split::HeldOut),
    photo("ihc", 512, 512, 3, Split::HeldOut),
    photo("camera", 512, 512, 1, Split::HeldOut),
    photo("coins", 384, 303, 1, Split::HeldOut),
    photo("grass", 512, 512, 1, Split::HeldOut),
    photo("gravel", 512, 512, 1, Split::HeldOut),
];

/// The scikit-image wheel the photos come from.
pub const PHOTOS_WHEEL: WheelPin = WheelPin {
    python_version: "3.11",
    platform: "manylinux2014_x86_64",
    sha256: "fa27b3a0dbad807b966b8db2d78da734cb812ca4787f7fbb143764800ce2fa9c",
};

const fn member(wheel_member: &'static str, file_name: &'static str, sha256: &'static str, size: u64) -> BundleFile {
    BundleFile { member: wheel_member, file_name, sha256, size_bytes: size }
}

/// The photos as a bundle of files from one pinned wheel (same order as [`PHOTOS`]).
pub const PHOTOS_BUNDLE: ModelBundle = ModelBundle {
    name: "skimage-photos",
    pypi_package: "scikit-image",
    pypi_version: "0.24.0",
    archive: BundleArchive::Wheel(Some(PHOTOS_WHEEL)),
    files: &[
        member(
            "skimage/data/motorcycle_left.png",
            "motorcycle_left.png",
            "db18e9c4157617403c3537a6ba355dfeafe9a7eabb6b9b94cb33f6525dd49179",
            644_701,
        ),
        member(
            "skimage/data/motorcycle_right.png",
            "motorcycle_right.png",
            "5fc913ae870e42a4b662314bc904d1786bcad8e2f0b9b67dba5a229406357797",
            640_373,
        ),
        member(
            "skimage/data/brick.png",
            "brick.png",
            "7966caf324f6ba843118d98f7a07746d22f6a343430add0233eca5f6eaaa8fcf",
            106_634,
        ),
        member(
            "skimage/data/moon.png",
            "moon.png",
            "78739619d11f7eb9c165bb5d2efd4772cee557812ec847532dbb1d92ef71f577",
            50_177,
        ),
        member(
            "skimage/data/cell.png",
            "cell.png",
            "8d23a7fb81f7cc877cd09f330357fc7f595651306e84e17252f6e0a1b3f61515",
            74_183,
        ),
        member(
            "skimage/data/astronaut.png",
            "astronaut.png",
            "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
            791_555,
        ),
        member(
            "skimage/data/chelsea.png",
            "chelsea.png",
            "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb",
            240_512,
        ),
        member(
            "skimage/data/coffee.png",
            "coffee.png",
            "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7",
            466_706,
        ),
        member(
            "skimage/data/ihc.png",
            "ihc.png",
            "f8dd1aa387ddd1f49d8ad13b50921b237df8e9b262606d258770687b0ef93cef",
            477_916,
        ),
        member(
            "skimage/data/camera.png",
            "camera.png",
            "b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a",
            139_512,
        ),
        member(
            "skimage/data/coins.png",
            "coins.png",
            "f8d773fc9cfa6f4d8e5942dc34d0a0788fcaed2a4fefbbed0aef5398d7ef4cba",
            75_825,
        ),
        member(
            "skimage/data/grass.png",
            "grass.png",
            "b6b6022426b38936c43a4ac09635cd78af074e90f42ffa8227ac8b7452d39f89",
            217_893,
        ),
        member(
            "skimage/data/gravel.png",
            "gravel.png",
            "c48615b451bf1e606fbd72c0aa9f8cc0f068ab7111ef7d93bb9b0f2586440c12",
            194_247,
        ),
    ],
};

/// The verified cache folder of the photos, fetching them from PyPI first if needed.
pub fn photos_dir(verbose: bool) -> Result<PathBuf, SourceError> {
    fetch_bundle(&PHOTOS_BUNDLE, verbose)
}

/// The recorded SHA-256 of a photo's PNG file.
pub fn photo_sha256(photo: &Photo) -> &'static str {
    PHOTOS_BUNDLE.files.iter().find(|f| f.file_name == photo.file_name()).map_or("", |f| f.sha256)
}

/// Photos on one side of the split.
pub fn photos(split: Split) -> impl Iterator<Item = &'static Photo> {
    PHOTOS.iter().filter(move |p| p.split == split)
}

/// Look up a photo by name.
pub fn photo_by_name(name: &str) -> Option<&'static Photo> {
    PHOTOS.iter().find(|p| p.name == name)
}

/// Load a photo of the fixed set from the cache (fetching it if needed).
pub fn load_photo(photo: &Photo, verbose: bool) -> Result<Image, SourceError> {
    let path = photos_dir(verbose)?.join(photo.file_name());
    load_png(&path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_bundle_agree() {
        assert_eq!(PHOTOS.len(), PHOTOS_BUNDLE.files.len());
        for (p, f) in PHOTOS.iter().zip(PHOTOS_BUNDLE.files) {
            assert_eq!(p.file_name(), f.file_name);
            assert_eq!(f.member, format!("skimage/data/{}", f.file_name));
        }
        assert!(photos(Split::HeldOut).count() >= 8);
        assert!(photos(Split::Train).all(|p| !p.name.starts_with("motorcycle") || p.split == Split::Train));
    }
}
