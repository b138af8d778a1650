//! The integration tests of `sim`, one binary (one link of candle) with a module per area.
//! `common` holds what they share: running `sim`, reading `results.csv`, tiny model files.

mod common;

mod audio;
mod audio_link;
mod bad_input;
mod compare;
mod compress_cli;
mod detection;
mod ecct_decoder;
mod icd;
mod image_link;
mod images;
mod interleave;
mod jscc_link;
mod jscc_quality;
mod ldpc49_reference;
mod limits_cli;
mod message_fading;
mod osd_link;
mod polar_link;
mod reference_results;
mod report;
mod results_folder;
mod resume;
mod samples;
mod scenarios;
mod shards;
mod slurm_cluster;
mod stoi;
mod text_link;
mod train_cli;
mod uncoded_theory;
