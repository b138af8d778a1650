//! `sim report DIR`: one self-contained page per results folder, as HTML (`report.html`: plots
//! embedded as SVG images in `data:` URLs, no file beside it needed) and Markdown (`report.md`, for
//! a repository or a paper's supplement; its plots are the folder's own `.svg` files).
//!
//! The page holds what a reader needs to trust and reuse the numbers: the scenario and what produced
//! the results (version, seed, config hash, overrides), the results table with intervals, every plot,
//! each LM-aided receiver against the plain one on the same noise ([`super::receivers`]), the
//! distance of each scheme to the finite-length limits ([`super::distance`]), samples of what each
//! scheme delivered at a few SNR values, and the resolved configuration.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::distance::{add_metaconverse, distances, Distance, LimitChannel, PLOT_TARGET};
use super::domain::Domain;
use super::number::num;
use super::{plot, read_samples, results_csv_rows, write_atomic, ResultRow, RunInfo, SampleRow};

/// What goes on the page besides everything.
pub struct ReportOptions {
    /// SNR values (scenario axis) whose samples are shown; empty: the lowest, a middle and the highest.
    pub sample_snrs: Vec<f64>,
    /// Error rate the distance to the limit is taken at (message error rate for text links, BLER
    /// for link-level runs); `None`: 0.1 for text links (a few dozen messages resolve no less), 0.01
    /// otherwise.
    pub target: Option<f64>,
}

/// What [`write_report`] did.
pub struct WrittenReport {
    /// `report.html` and `report.md`.
    pub files: Vec<PathBuf>,
    /// What the reader should know about the folder (a cut-short last row left out).
    pub notes: Vec<String>,
}

/// Writes `dir/report.html` and `dir/report.md` (redrawing the plots first).
pub fn write_report(dir: &Path, opts: &ReportOptions) -> anyhow::Result<WrittenReport> {
    let read = results_csv_rows(dir)?;
    if read.rows.is_empty() {
        anyhow::bail!("{}: no complete rows to report", dir.join("results.csv").display());
    }
    let mut notes = Vec::new();
    if read.dropped_cut_row {
        notes.push(format!(
            "{}: its last row is cut short (an interrupted write); reporting without it",
            dir.join("results.csv").display()
        ));
    }
    let rows = read.rows;
    let info = RunInfo::load(&dir.join("run.json"))?;
    let samples_path = dir.join("samples.csv");
    let samples = if samples_path.exists() { read_samples(&samples_path)? } else { Vec::new() };
    let title = info.scenario_name.clone();
    let length_bits = info.config.pointer("/framing/length_bits").and_then(|v| v.as_u64()).unwrap_or(11) as u32;
    let limit_channel = LimitChannel::of_run(&info.config);
    let domain = Domain::of(&rows);
    let target = opts.target.unwrap_or(if domain.has_messages() { 0.1 } else { 0.01 });
    let (limits, limits_note) = match &limit_channel {
        Ok(c) => {
            let mut limits = distances(&rows, length_bits, target, *c);
            add_metaconverse(&mut limits, *c);
            (limits, None)
        }
        Err(why) => (Vec::new(), Some(why.clone())),
    };
    // The plots mark the limits at PLOT_TARGET: the table's own when it uses that target (on
    // fading each costs seconds to compute).
    let plot_limits = if target == PLOT_TARGET && rows.iter().any(|r| r.messages.is_some()) {
        limits.clone()
    } else {
        super::distance::plot_limits(&rows, limit_channel.as_ref().ok().copied(), length_bits)
    };
    let plots: Vec<PathBuf> = plot::all_plots(dir, &rows, &title, &plot_limits)?
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .collect();
    let mut snrs: Vec<f64> = Vec::new();
    for r in &rows {
        if !snrs.contains(&r.snr_db) {
            snrs.push(r.snr_db);
        }
    }
    snrs.sort_by(f64::total_cmp);
    let shown_snrs: Vec<f64> = if opts.sample_snrs.is_empty() {
        let mut v = vec![snrs[0], snrs[snrs.len() / 2], snrs[snrs.len() - 1]];
        v.dedup();
        v
    } else {
        for s in &opts.sample_snrs {
            if !snrs.contains(s) {
                anyhow::bail!("--snr {s}: no point at that SNR (the folder has {snrs:?})");
            }
        }
        opts.sample_snrs.clone()
    };

    let limit_channel = limit_channel.ok();
    let page =
        Page { dir, info: &info, rows: &rows, samples: &samples, limits: &limits, limit_channel, target, domain };
    let html = page.html(&plots, &shown_snrs, limits_note.as_deref())?;
    let md = page.markdown(&plots, &shown_snrs, limits_note.as_deref());
    let (html_path, md_path) = (dir.join("report.html"), dir.join("report.md"));
    write_atomic(&html_path, html.as_bytes())?;
    write_atomic(&md_path, md.as_bytes())?;
    Ok(WrittenReport { files: vec![html_path, md_path], notes })
}

/// The image grid a run over images draws beside its results.
const GRID: &str = super::image_grid::GRID_FILE;
const GRID_CAPTION: &str = "grid.png: the first image as sent and as each scheme delivered it at the lowest, a middle \
                            and the highest SNR.";

const RECEIVERS_NOTE: &str = "Each scheme with an LM-aided receiver, against the scheme whose noise it hears \
                              (noise_from): recovered is that scheme's wrong messages minus this one's; unflagged \
                              are wrong messages passed on as right; model steps count the receiver's extra \
                              decoding (one step per candidate token or path and symbol), not the plain decoding. \
                              For a list receiver, the messages it searched and did not return are split \
                              by the sent message, scored as the search scores paths: within the penalty limit \
                              and better than the search's choice (missed by the search, which a better search \
                              might find), outscored by a wrong message the search found (no search returns it), or over \
                              the limit.";

struct Page<'a> {
    dir: &'a Path,
    info: &'a RunInfo,
    rows: &'a [ResultRow],
    samples: &'a [SampleRow],
    limits: &'a [Distance],
    /// The channel the limits are for, where any holds.
    limit_channel: Option<LimitChannel>,
    target: f64,
    /// What the rows carry (text, image tiles, audio frames, or a link-level run's codewords).
    domain: Domain,
}

fn with_interval(v: Option<f64>, lo: Option<f64>, hi: Option<f64>) -> String {
    match (v, lo, hi) {
        (Some(_), Some(lo), Some(hi)) => format!("{} [{}, {}]", num(v), num(Some(lo)), num(Some(hi))),
        _ => num(v),
    }
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// A Markdown table cell: pipes escaped, line breaks and control characters made visible.
fn md_cell(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '\n' => out.push_str("\\n"),
            '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Standard base64 (RFC 4648, with padding), for `data:` URLs.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

impl Page<'_> {
    /// A message link (text, images or audio).
    fn text(&self) -> bool {
        self.domain.has_messages()
    }
    /// Images: PSNR and SSIM instead of BLEU and similarity.
    fn image(&self) -> bool {
        self.domain == Domain::Image
    }
    /// Audio: SNR, segmental SNR and STOI instead of BLEU and similarity.
    fn audio(&self) -> bool {
        self.domain == Domain::Audio
    }

    /// (header, cells) of the results table.
    fn results_table(&self) -> (Vec<&'static str>, Vec<Vec<String>>) {
        let mut header = vec!["scheme", "SNR (dB)"];
        if self.image() {
            header.extend([
                "unified SNR (dB)",
                "tiles",
                "exact tiles",
                "PSNR (dB) [95 %]",
                "mean tile PSNR (dB)",
                "SSIM [95 %]",
                "bits per pixel",
            ]);
        } else if self.audio() {
            header.extend([
                "unified SNR (dB)",
                "frames",
                "exact frames",
                "sample SNR (dB) [95 %]",
                "segmental SNR (dB) [95 %]",
                "STOI [95 %]",
                "ESTOI [95 %]",
                "bits per sample",
            ]);
        } else if self.text() {
            header.extend([
                "unified SNR (dB)",
                "messages",
                "message errors",
                "BLEU-1",
                "BLEU-4 [95 %]",
                "similarity [95 %]",
            ]);
        }
        header.extend(["BER", "BLER", "frames"]);
        let cells = self
            .rows
            .iter()
            .map(|r| {
                let mut c = vec![r.scheme.clone(), num(Some(r.snr_db))];
                if self.image() {
                    let exact = r.messages.zip(r.message_errors).map_or(String::new(), |(m, e)| (m - e).to_string());
                    c.extend([
                        num(r.snr_unified_db),
                        r.messages.map_or(String::new(), |m| m.to_string()),
                        exact,
                        with_interval(r.psnr_db, r.psnr_lo, r.psnr_hi),
                        num(r.psnr_tile_mean_db),
                        with_interval(r.ssim, r.ssim_lo, r.ssim_hi),
                        num(r.source_bits_per_pixel),
                    ]);
                } else if self.audio() {
                    let exact = r.messages.zip(r.message_errors).map_or(String::new(), |(m, e)| (m - e).to_string());
                    c.extend([
                        num(r.snr_unified_db),
                        r.messages.map_or(String::new(), |m| m.to_string()),
                        exact,
                        with_interval(r.audio_snr_db, r.audio_snr_lo, r.audio_snr_hi),
                        with_interval(r.seg_snr_db, r.seg_snr_lo, r.seg_snr_hi),
                        with_interval(r.stoi, r.stoi_lo, r.stoi_hi),
                        with_interval(r.estoi, r.estoi_lo, r.estoi_hi),
                        num(r.source_bits_per_sample),
                    ]);
                } else if self.text() {
                    c.extend([
                        num(r.snr_unified_db),
                        r.messages.map_or(String::new(), |m| m.to_string()),
                        r.message_errors.map_or(String::new(), |m| m.to_string()),
                        with_interval(r.bleu1, r.bleu1_lo, r.bleu1_hi),
                        with_interval(r.bleu4, r.bleu4_lo, r.bleu4_hi),
                        with_interval(r.similarity, r.similarity_lo, r.similarity_hi),
                    ]);
                }
                let (ber, bler) = if r.frames > 0 { (Some(r.ber), Some(r.bler)) } else { (None, None) };
                c.extend([num(ber), num(bler), r.frames.to_string()]);
                c
            })
            .collect();
        (header, cells)
    }

    /// (note, header, cells) of the crossings table of a text run ([`super::crossings`]).
    fn crossings_table(&self) -> Option<(String, Vec<String>, Vec<Vec<String>>)> {
        use super::crossings::{crossings, gain_db, BLEU4_TARGET, MESSAGE_ERROR_TARGET, STOI_TARGET};
        if !self.text() {
            return None;
        }
        // The quality target beside the error rate: STOI for audio, BLEU-4 for text; none is shown
        // for images (a PSNR target would be arbitrary).
        type Quality = fn(&ResultRow) -> Option<f64>;
        let (quality, target, quality_name): (Quality, f64, &str) =
            if self.audio() { (|r| r.stoi, STOI_TARGET, "STOI") } else { (|r| r.bleu4, BLEU4_TARGET, "BLEU-4") };
        let all = crossings(self.rows, MESSAGE_ERROR_TARGET, quality, target);
        let reference = self.info.config.pointer("/unified/reference").and_then(|v| v.as_str()).unwrap_or("");
        let base = all.iter().find(|c| c.scheme == reference);
        let at = |x: Option<(f64, bool)>| match x {
            Some((x, false)) => num(Some(x)),
            Some((x, true)) => format!("≤ {}", num(Some(x))),
            None => "not reached".to_string(),
        };
        let gain = |r: Option<(f64, bool)>, x: Option<(f64, bool)>| num(gain_db(r, x));
        let gains = format!(
            "in dB of the scenario's SNR, and the gain over the reference scheme '{reference}' (its SNR minus the \
             scheme's; empty unless both are measured)"
        );
        let quality_column = format!("SNR at {quality_name} {target} (dB)");
        let (note, header) = if self.image() {
            let note = format!(
                "Where the share of tiles not recovered exactly falls to {MESSAGE_ERROR_TARGET} (log-linear \
                 interpolation), {gains}."
            );
            (note, vec!["scheme", "SNR at 90 % exact tiles (dB)", "gain (dB)"])
        } else if self.audio() {
            let note = format!(
                "Where the share of frames not recovered exactly falls to {MESSAGE_ERROR_TARGET} (log-linear \
                 interpolation) and the STOI rises to {target} (linear), {gains}."
            );
            (note, vec!["scheme", "SNR at 90 % exact frames (dB)", "gain (dB)", &quality_column, "gain (dB)"])
        } else {
            let note = format!(
                "Where each scheme's message error rate falls to {MESSAGE_ERROR_TARGET} (log-linear interpolation) \
                 and its BLEU-4 rises to {target} (linear), {gains}."
            );
            (note, vec!["scheme", "SNR at MER 0.1 (dB)", "gain (dB)", &quality_column, "gain (dB)"])
        };
        let cells = all
            .iter()
            .map(|c| {
                let mut cells = vec![
                    c.scheme.clone(),
                    at(c.message_error_rate_db),
                    gain(base.and_then(|b| b.message_error_rate_db), c.message_error_rate_db),
                ];
                if !self.image() {
                    cells.extend([at(c.quality_db), gain(base.and_then(|b| b.quality_db), c.quality_db)]);
                }
                cells
            })
            .collect();
        Some((note, header.iter().map(|s| s.to_string()).collect(), cells))
    }

    /// (header, cells) of the LM-aided receivers' table ([`super::receivers`]); `None` when no
    /// scheme has a receiver.
    fn receivers_table(&self) -> Option<(Vec<String>, Vec<Vec<String>>)> {
        let rows = super::receivers::receiver_rows(self.rows, &self.info.config);
        if rows.is_empty() {
            return None;
        }
        let unit = self.domain.messages();
        let icd = rows.iter().any(|r| r.candidates_per_message.is_some());
        let mut header = vec![
            "scheme".to_string(),
            "receiver".to_string(),
            "SNR (dB)".to_string(),
            format!("wrong {unit}"),
            format!("wrong {unit}, plain receiver (same noise)"),
            "recovered".to_string(),
            "wrong, unflagged".to_string(),
            format!("model steps per {}", unit.trim_end_matches('s')),
        ];
        if icd {
            header.push("ICD candidates per message".to_string());
        }
        let misses = rows.iter().any(|r| r.misses.is_some());
        if misses {
            header.extend(["sent message missed by the search", "outscored", "over the limit"].map(String::from));
        }
        let count = |v: Option<u64>| v.map_or(String::new(), |v| v.to_string());
        let cells = rows
            .iter()
            .map(|r| {
                let mut cells = vec![
                    r.scheme.clone(),
                    r.receiver.clone(),
                    num(Some(r.snr_db)),
                    count(r.errors),
                    r.plain.as_ref().map_or(String::new(), |(name, e)| format!("{e} ({name})")),
                    r.recovered().map_or(String::new(), |v| v.to_string()),
                    count(r.unflagged),
                    num(r.model_steps_per_message),
                ];
                if icd {
                    cells.push(num(r.candidates_per_message));
                }
                if misses {
                    cells.extend(match r.misses {
                        Some(m) => m.map(|v| v.to_string()),
                        None => Default::default(),
                    });
                }
                cells
            })
            .collect();
        Some((header, cells))
    }

    /// (note, header, cells) of where image schemes' PSNR curves, or audio schemes' SNR, STOI and
    /// ESTOI curves, overtake one another ([`super::crossings::overtakes`]): a table per metric where
    /// some do.
    fn overtakes_tables(&self) -> Vec<(String, Vec<String>, Vec<Vec<String>>)> {
        type Quality = fn(&ResultRow) -> Option<f64>;
        let metrics: Vec<(Quality, &str, &str)> = if self.audio() {
            vec![
                (|r| r.audio_snr_db, "sample SNR", "; an exact frame counts 100 dB"),
                (|r| r.stoi, "STOI", ""),
                (|r| r.estoi, "ESTOI", ""),
            ]
        } else {
            vec![(|r| r.psnr_db, "PSNR", "; an exact tile counts 100 dB")]
        };
        metrics
            .into_iter()
            .filter_map(|(quality, what, exact)| {
                let all = super::crossings::overtakes(self.rows, quality);
                if all.is_empty() {
                    return None;
                }
                let note = format!(
                    "Where a scheme's {what} rises above another's (the curves taken as straight between \
                     points{exact}), on the scenario's SNR axis and on the unified one; empty where it does not \
                     within the SNR range both cover on that axis."
                );
                let header = ["scheme", "rises above", "at SNR (dB)", "at unified SNR (dB)"];
                let cells = all
                    .into_iter()
                    .map(|o| vec![o.scheme, o.over, num(o.snr_db), num(o.unified_db)])
                    .collect::<Vec<_>>();
                Some((note, header.iter().map(|s| s.to_string()).collect(), cells))
            })
            .collect()
    }

    fn limits_table(&self) -> (Vec<String>, Vec<Vec<String>>) {
        let what = if self.text() { "message error rate" } else { "BLER" };
        // Where no sphere-packing bound holds (fast fading), neither its column nor a gap to it:
        // the gap is to the approximation. The metaconverse's columns where it was computed.
        let sphere_packing = self.limits.iter().any(|d| d.sphere_packing_esn0_db.is_some());
        let metaconverse = self.limits.iter().any(|d| d.metaconverse_esn0_db.is_some());
        let mut header = vec!["scheme".to_string(), "n symbols, k bits".to_string()];
        header.push(format!("measured Es/N0 at {what} {}", self.target));
        if sphere_packing {
            header.push("sphere packing (SP59) Es/N0".to_string());
        }
        if metaconverse {
            header.push("metaconverse Es/N0".to_string());
        }
        header.push("normal approximation Es/N0".to_string());
        if metaconverse {
            header.push("gap to the metaconverse (dB)".to_string());
        }
        header.push(if sphere_packing { "gap to SP59 (dB)" } else { "gap to the approximation (dB)" }.to_string());
        let gap_cell = |gap: Option<f64>, measured: Option<(f64, bool)>| match (gap, measured) {
            (Some(g), Some((_, true))) => format!("≤ {}", num(Some(g))),
            (Some(g), _) => num(Some(g)),
            (None, _) => String::new(),
        };
        let cells = self
            .limits
            .iter()
            .map(|d| {
                let measured = match d.measured_esn0_db {
                    Some((x, false)) => num(Some(x)),
                    Some((x, true)) => format!("≤ {}", num(Some(x))),
                    None => "not reached".to_string(),
                };
                let gap = if sphere_packing { d.gap_db() } else { d.gap_to_approximation_db() };
                let mut line = vec![d.scheme.clone(), format!("{}, {}", d.n, d.k), measured];
                if sphere_packing {
                    line.push(num(d.sphere_packing_esn0_db));
                }
                if metaconverse {
                    line.push(num(d.metaconverse_esn0_db));
                }
                line.push(num(Some(d.normal_approximation_esn0_db)));
                if metaconverse {
                    line.push(gap_cell(d.gap_to_metaconverse_db(), d.measured_esn0_db));
                }
                line.push(gap_cell(gap, d.measured_esn0_db));
                line
            })
            .collect();
        (header, cells)
    }

    fn limits_text(&self) -> String {
        let unit = if self.text() {
            "a message (k = source bits + length header, n = channel symbols per message, at their means)"
        } else {
            "a codeword of the run's code"
        };
        let fading = match self.limit_channel {
            Some(LimitChannel::QuasiStatic { csi: true, .. }) => {
                " On this channel's quasi-static fading (one gain per message, known to the receiver) both are \
                 averaged over the gain: the averaged bound still holds for every code, and the averaged \
                 approximation is close to the outage probability, the chance that the gain leaves capacity below \
                 the code's rate. Every error rate here falls tenfold per 10 dB at high SNR."
            }
            Some(LimitChannel::QuasiStatic { csi: false, .. }) => {
                " On this channel's quasi-static fading (one gain per message, not known to the receiver) both are \
                 those of a receiver told the gain, averaged over it: the bound still holds (knowing the gain \
                 cannot hurt), and the approximation is close to the outage probability, which a receiver that \
                 learns the gain from the message itself also approaches (zero dispersion either way: Yang, Durisi, \
                 Koch & Polyanskiy, IEEE Trans. IT 60(7), 2014). Every error rate here falls tenfold per 10 dB at \
                 high SNR."
            }
            Some(LimitChannel::BlockFading { csi, .. }) => {
                if csi {
                    " On this channel's block fading (a gain per run of symbols of each codeword, known to the \
                     receiver) the best code spans all of a message's runs: the approximation is averaged over one \
                     gain per run (a seeded Monte Carlo mean by importance sampling, within a few hundredths of a dB \
                     down to error rates of 1e-6), and no sphere-packing bound holds where a message meets more than \
                     one gain, so the gap is to it, an estimate of the distance. Such a code gathers the runs' \
                     diversity, its error rate falling as a power of the SNR up to the number of runs, where a \
                     codeword that meets one gain falls tenfold per 10 dB (code.interleave = \"message\" spreads each \
                     block codeword over its message's runs, \"codeword\" a polar codeword's bits over its own)."
                } else {
                    " On this channel's block fading (a gain per run of symbols of each codeword, not known to the \
                     receiver) the best code spans all of a message's runs, and the approximation is that of a \
                     receiver that knows the fading's statistics but not the gains: each run's information density \
                     is that of the noncoherent run channel, its moments given the run's gain a seeded Monte Carlo \
                     table, averaged over one gain per run (by importance sampling). It lies above the limit with \
                     CSI by what learning each gain from its own run costs, the more the shorter the runs (for 128 \
                     bits in 294 symbols at 1e-2: 0.16 dB on runs of 49 symbols, 0.50 dB on runs of 7). No sphere-packing bound holds where a message \
                     meets more than one gain, so the gap is to it, an estimate of the distance."
                }
            }
            Some(LimitChannel::FastFading { csi: true, .. }) => {
                " On this channel's fast fading (one gain per symbol, known to the receiver) no sphere-packing bound \
                 holds: the approximation is taken with the ergodic capacity and the fading's dispersion (the \
                 noise's plus the variance of each symbol's capacity over the gain), and the gap is to it, an \
                 estimate of the distance, not a bound on it."
            }
            Some(LimitChannel::FastFading { csi: false, .. }) => {
                " On this channel's fast fading (one gain per symbol, not known to the receiver) no sphere-packing \
                 bound holds: the approximation is taken with the capacity and dispersion of the channel the \
                 receiver faces, each symbol's output a mixture over the gain's distribution (a receiver that knew \
                 only that distribution and used it exactly), and the gap is to it, an estimate of the distance, \
                 not a bound on it."
            }
            _ => "",
        };
        let limits = if !self.limits.iter().any(|d| d.sphere_packing_esn0_db.is_some()) {
            "the PPV normal approximation"
        } else {
            "Shannon's 1959 sphere-packing bound (no code does better) and the PPV normal approximation"
        };
        let metaconverse = if self.limits.iter().any(|d| d.metaconverse_esn0_db.is_some()) {
            format!(
                " The metaconverse (Polyanskiy, Poor & Verdú 2010; a seeded Monte Carlo, for up to {} symbols) \
                 is a bound for binary codes, tighter than sphere packing and holding on every channel here: on fading it \
                 is averaged over the gains given them, and a receiver not told them does no better.",
                super::distance::MAX_METACONVERSE_SYMBOLS
            )
        } else {
            String::new()
        };
        format!(
            "How far each scheme is from any code of its length: for {unit}, the Es/N0 where the measured error \
             rate crosses {} (log-linear interpolation between points) against the Es/N0 at which the best (n, k) \
             code reaches it by {limits}.{fading}{metaconverse} Gaps are in dB and equal on the unified axis.",
            self.target
        )
    }

    fn facts(&self) -> Vec<(&'static str, String)> {
        let i = self.info;
        let mut v = vec![
            ("scenario", i.scenario_name.clone()),
            ("scenario file", i.scenario_file.clone()),
            ("version", i.version.clone()),
            ("seed", i.seed.to_string()),
            ("config hash", i.config_hash.clone()),
            ("threads", i.threads.to_string()),
            ("overrides", if i.overrides.is_empty() { "none".into() } else { i.overrides.join(" ") }),
            ("started (unix time)", i.started_unix.to_string()),
            ("finished (unix time)", i.finished_unix.map_or("not finished".into(), |t| t.to_string())),
        ];
        if let Some(s) = i.shards {
            v.push(("merged from shards", s.to_string()));
        }
        v
    }

    /// Samples at `snr`, grouped by message: (message, sent, [(scheme, received, BLEU-4, similarity)]).
    fn samples_at(&self, snr: f64) -> Vec<(u64, &str, Vec<&SampleRow>)> {
        let mut out: Vec<(u64, &str, Vec<&SampleRow>)> = Vec::new();
        for s in self.samples.iter().filter(|s| s.snr_db == snr) {
            match out.iter_mut().find(|(m, _, _)| *m == s.message) {
                Some((_, _, v)) => v.push(s),
                None => out.push((s.message, &s.sent, vec![s])),
            }
        }
        out.sort_by_key(|(m, _, _)| *m);
        out
    }

    /// (header, cells) of the samples table at `snr`: each message's sent text, then what each scheme
    /// received with its BLEU-4 and similarity.
    fn samples_table(&self, snr: f64) -> (Vec<String>, Vec<Vec<String>>) {
        let mut cells = Vec::new();
        for (m, sent, got) in self.samples_at(snr) {
            cells.push(vec![m.to_string(), "(sent)".into(), sent.to_string(), String::new(), String::new()]);
            for s in got {
                cells.push(vec![
                    String::new(),
                    s.scheme.clone(),
                    s.received.clone(),
                    num(Some(s.bleu4)),
                    num(s.similarity),
                ]);
            }
        }
        let header = ["message", "scheme", "text", "BLEU-4", "similarity"].iter().map(|s| s.to_string()).collect();
        (header, cells)
    }

    fn html(&self, plots: &[PathBuf], snrs: &[f64], limits_note: Option<&str>) -> anyhow::Result<String> {
        let e = html_escape;
        let mut h = String::new();
        let title = format!("{}: results", self.info.scenario_name);
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n\
             body {{ font-family: sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; }}\n\
             table {{ border-collapse: collapse; margin: 1em 0; }}\n\
             th, td {{ border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }}\n\
             td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}\n\
             img.plot {{ max-width: 100%; }}\n pre {{ background: #f6f6f6; padding: 1em; overflow-x: auto; }}\n\
             </style>\n</head>\n<body>\n<h1>{}</h1>\n",
            e(&title),
            e(&title)
        );
        if let Some(d) = self.info.config.pointer("/description").and_then(|v| v.as_str()).filter(|d| !d.is_empty()) {
            let _ = writeln!(h, "<p>{}</p>", e(d));
        }
        h.push_str("<h2>Run</h2>\n<table>\n");
        for (k, v) in self.facts() {
            let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", e(k), e(&v));
        }
        h.push_str("</table>\n<h2>Results</h2>\n");
        let (header, cells) = self.results_table();
        html_table(&mut h, &header.iter().map(|s| s.to_string()).collect::<Vec<_>>(), &cells);
        if self.text() {
            h.push_str(
                "<p>Intervals: 95 % percentile bootstrap over the messages (README, <code>results.csv</code>).</p>\n",
            );
        }
        let by_snr = super::by_snr::by_snr(self.rows);
        let _ = writeln!(h, "<h2>By SNR</h2>\n<p>{}</p>", e(&by_snr.note));
        html_table(&mut h, &by_snr.header, &by_snr.cells);
        h.push_str("<h2>Plots</h2>\n");
        for p in plots {
            let svg = std::fs::read(p).with_context(|| format!("{}: cannot read", p.display()))?;
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("plot");
            let _ = writeln!(
                h,
                "<figure><img class=\"plot\" alt=\"{}\" src=\"data:image/svg+xml;base64,{}\"><figcaption>{}</figcaption></figure>",
                e(name),
                base64(&svg),
                e(name)
            );
        }
        if let Ok(png) = std::fs::read(self.dir.join(GRID)) {
            let _ = writeln!(
                h,
                "<figure><img class=\"plot\" alt=\"{GRID}\" src=\"data:image/png;base64,{}\"><figcaption>{}</figcaption></figure>",
                base64(&png),
                e(GRID_CAPTION)
            );
        }
        if let Some((note, header, cells)) = self.crossings_table() {
            let _ = writeln!(h, "<h2>Where the curves cross</h2>\n<p>{}</p>", e(&note));
            html_table(&mut h, &header, &cells);
        }
        for (note, header, cells) in self.overtakes_tables() {
            let _ = writeln!(h, "<p>{}</p>", e(&note));
            html_table(&mut h, &header, &cells);
        }
        if let Some((header, cells)) = self.receivers_table() {
            let _ = writeln!(h, "<h2>LM-aided receivers</h2>\n<p>{}</p>", e(RECEIVERS_NOTE));
            html_table(&mut h, &header, &cells);
        }
        h.push_str("<h2>Distance to the limit</h2>\n");
        match limits_note {
            Some(n) => {
                let _ = writeln!(h, "<p>{}</p>", e(n));
            }
            None if self.limits.is_empty() => h.push_str("<p>No scheme sends bits over a code here.</p>\n"),
            None => {
                let _ = writeln!(h, "<p>{}</p>", e(&self.limits_text()));
                let (header, cells) = self.limits_table();
                html_table(&mut h, &header, &cells);
            }
        }
        if !self.samples.is_empty() {
            h.push_str(
                "<h2>Samples</h2>\n<p>What each scheme delivered (<code>samples.csv</code> has every point).</p>\n",
            );
            for &snr in snrs {
                let _ = writeln!(h, "<h3>SNR {} dB</h3>", e(&num(Some(snr))));
                let (header, cells) = self.samples_table(snr);
                html_table(&mut h, &header, &cells);
            }
        }
        let config = serde_json::to_string_pretty(&self.info.config)?;
        let _ = write!(
            h,
            "<h2>Configuration</h2>\n<details><summary>resolved scenario (run.json)</summary><pre>{}</pre></details>\n\
             <p>Folder: {}</p>\n</body>\n</html>\n",
            e(&config),
            e(&self.dir.display().to_string())
        );
        Ok(h)
    }

    fn markdown(&self, plots: &[PathBuf], snrs: &[f64], limits_note: Option<&str>) -> String {
        let mut m = String::new();
        let _ = writeln!(m, "# {}: results\n", md_cell(&self.info.scenario_name));
        if let Some(d) = self.info.config.pointer("/description").and_then(|v| v.as_str()).filter(|d| !d.is_empty()) {
            let _ = writeln!(m, "{}\n", md_cell(d));
        }
        m.push_str("## Run\n\n");
        let facts: Vec<Vec<String>> = self.facts().into_iter().map(|(k, v)| vec![k.to_string(), v]).collect();
        md_table(&mut m, &["what".to_string(), "value".to_string()], &facts);
        m.push_str("## Results\n\n");
        let (header, cells) = self.results_table();
        md_table(&mut m, &header.iter().map(|s| s.to_string()).collect::<Vec<_>>(), &cells);
        let by_snr = super::by_snr::by_snr(self.rows);
        let _ = writeln!(m, "## By SNR\n\n{}\n", by_snr.note);
        md_table(&mut m, &by_snr.header, &by_snr.cells);
        m.push_str("## Plots\n\n");
        for p in plots {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("plot");
            let _ = writeln!(m, "![{name}]({name})\n");
        }
        if self.dir.join(GRID).exists() {
            let _ = writeln!(m, "![{GRID}]({GRID})\n\n{GRID_CAPTION}\n");
        }
        if let Some((note, header, cells)) = self.crossings_table() {
            let _ = writeln!(m, "## Where the curves cross\n\n{note}\n");
            md_table(&mut m, &header, &cells);
        }
        for (note, header, cells) in self.overtakes_tables() {
            let _ = writeln!(m, "{note}\n");
            md_table(&mut m, &header, &cells);
        }
        if let Some((header, cells)) = self.receivers_table() {
            let _ = writeln!(m, "## LM-aided receivers\n\n{RECEIVERS_NOTE}\n");
            md_table(&mut m, &header, &cells);
        }
        m.push_str("## Distance to the limit\n\n");
        match limits_note {
            Some(n) => {
                let _ = writeln!(m, "{n}\n");
            }
            None if self.limits.is_empty() => m.push_str("No scheme sends bits over a code here.\n\n"),
            None => {
                let _ = writeln!(m, "{}\n", self.limits_text());
                let (header, cells) = self.limits_table();
                md_table(&mut m, &header, &cells);
            }
        }
        if !self.samples.is_empty() {
            m.push_str("## Samples\n\n");
            for &snr in snrs {
                let _ = writeln!(m, "### SNR {} dB\n", num(Some(snr)));
                let (header, cells) = self.samples_table(snr);
                md_table(&mut m, &header, &cells);
            }
        }
        m
    }
}

fn html_table(h: &mut String, header: &[String], cells: &[Vec<String>]) {
    h.push_str("<table>\n<tr>");
    for c in header {
        let _ = write!(h, "<th>{}</th>", html_escape(c));
    }
    h.push_str("</tr>\n");
    for row in cells {
        h.push_str("<tr>");
        for c in row {
            let numeric =
                !c.is_empty() && c.chars().next().is_some_and(|ch| ch.is_ascii_digit() || ch == '-' || ch == '≤');
            let class = if numeric { " class=\"num\"" } else { "" };
            let _ = write!(h, "<td{class}>{}</td>", html_escape(c));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
}

fn md_table(m: &mut String, header: &[String], cells: &[Vec<String>]) {
    let _ = writeln!(m, "| {} |", header.iter().map(|c| md_cell(c)).collect::<Vec<_>>().join(" | "));
    let _ = writeln!(m, "|{}", "---|".repeat(header.len()));
    for row in cells {
        let _ = writeln!(m, "| {} |", row.iter().map(|c| md_cell(c)).collect::<Vec<_>>().join(" | "));
    }
    m.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_test_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), coded);
        }
    }

    #[test]
    fn text_is_escaped_for_html_and_markdown() {
        assert_eq!(html_escape("<b>&\"x\"</b>\u{7}"), "&lt;b&gt;&amp;&quot;x&quot;&lt;/b&gt;\\u{7}");
        assert_eq!(md_cell("a|b\nc *d*"), "a\\|b\\nc \\*d\\*");
    }
}
