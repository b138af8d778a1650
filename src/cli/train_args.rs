//! Argument parsers shared by the `sim train` subcommands (ECCT, the byte LM and the JSCC models).

use neural::{Channel, DeviceChoice};

pub(super) fn parse_device(s: &str) -> Result<DeviceChoice, String> {
    DeviceChoice::parse(s).ok_or_else(|| format!("unknown device '{s}' (cpu, cuda)"))
}

pub(super) fn parse_channel(s: &str) -> Result<Channel, String> {
    Channel::parse(s).ok_or_else(|| format!("unknown channel '{s}' (awgn, rayleigh)"))
}
