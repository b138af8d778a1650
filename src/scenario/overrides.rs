//! `--set key=value`: override any scenario field by its dotted name.
//!
//! The value is read as a TOML value (`snr.values_db=[0,2,4]`, `decoder.iterations=5`,
//! `decoder.early_termination=false`); anything that is not valid TOML is taken as a string, so
//! `decoder.kind=min-sum` needs no quotes. The key must name a field of the schema: valid names are
//! derived from `Scenario::default()`, so they can never drift from the schema.
//!
//! Schemes of a text scenario are addressed by name or index: `schemes.llm-bp.decoder.kind=ecct`,
//! `schemes.0.decoder.iterations=5`. Setting a field of a scheme's `code` or `decoder` that the
//! scheme does not have gives it its own copy of the scenario's `[code]` or `[decoder]` (what it
//! used until then) with that field changed: `schemes.x.code.interleave=message` keeps the
//! scenario's code rather than falling back to the schema's default (uncoded).

use super::ScenarioError;

/// Applies one `key=value` override to the scenario tree.
pub fn apply_override(tree: &mut toml::Value, arg: &str) -> Result<(), ScenarioError> {
    let (key, raw) = arg
        .split_once('=')
        .ok_or_else(|| ScenarioError(format!("--set {arg}: expected key=value, e.g. --set decoder.iterations=5")))?;
    let key = key.trim();
    if let Some(rest) = key.strip_prefix("schemes.") {
        return apply_scheme_override(tree, arg, rest, raw);
    }
    let schema = super::schema::key_schema();
    let path: Vec<&str> = key.split('.').collect();
    if lookup(&schema, &path).is_none() {
        return Err(ScenarioError(format!(
            "--set {arg}: unknown key '{key}'; valid keys: {}",
            leaf_keys(&schema, "").join(", ")
        )));
    }
    let value = parse_value(arg, raw.trim())?;
    let mut node = tree;
    for (i, part) in path.iter().enumerate() {
        let table = node
            .as_table_mut()
            .ok_or_else(|| ScenarioError(format!("--set {arg}: '{}' is not a table", path[..i].join("."))))?;
        if i + 1 == path.len() {
            table.insert(part.to_string(), value);
            return Ok(());
        }
        node = table.entry(part.to_string()).or_insert_with(|| toml::Value::Table(Default::default()));
    }
    unreachable!("split always yields at least one part")
}

/// `schemes.<name|index>.<field...>=value`.
fn apply_scheme_override(tree: &mut toml::Value, arg: &str, rest: &str, raw: &str) -> Result<(), ScenarioError> {
    let (which, field) = rest
        .split_once('.')
        .ok_or_else(|| ScenarioError(format!("--set {arg}: expected schemes.<name or index>.<field>=value")))?;
    let mut schema = toml::Value::try_from(super::SchemeConfig::default()).expect("the default scheme serializes");
    let defaults = super::schema::key_schema();
    schema.as_table_mut().expect("a table").insert("code".into(), defaults["code"].clone());
    schema.as_table_mut().expect("a table").insert("decoder".into(), defaults["decoder"].clone());
    // The optional fields (absent from the default scheme's serialization).
    let optional = [
        ("weights", toml::Value::String(String::new())),
        ("noise_from", toml::Value::String(String::new())),
        ("snr_values_db", toml::Value::Array(Vec::new())),
        ("channel_uses", toml::Value::Integer(0)),
        ("noise_shaping", toml::Value::Float(0.0)),
        ("frame_levels", toml::Value::Boolean(false)),
        ("design_esn0_db", toml::Value::Float(0.0)),
        ("receiver", receiver_schema()),
    ];
    for (key, value) in optional {
        schema.as_table_mut().expect("a table").insert(key.into(), value);
    }
    let path: Vec<&str> = field.split('.').collect();
    if lookup(&schema, &path).is_none() {
        return Err(ScenarioError(format!(
            "--set {arg}: unknown scheme field '{field}'; valid fields: {}",
            leaf_keys(&schema, "").join(", ")
        )));
    }
    // What a scheme without its own `code` or `decoder` uses: the scenario's tables as written.
    let inherited = |key: &str| tree.get(key).cloned().unwrap_or_else(|| toml::Value::Table(Default::default()));
    let inherited = [("code", inherited("code")), ("decoder", inherited("decoder"))];
    let schemes = tree
        .get_mut("schemes")
        .and_then(toml::Value::as_array_mut)
        .ok_or_else(|| ScenarioError(format!("--set {arg}: the scenario has no [[schemes]]")))?;
    let names: Vec<String> =
        schemes.iter().map(|s| s.get("name").and_then(toml::Value::as_str).unwrap_or("").to_string()).collect();
    let index = match which.parse::<usize>() {
        Ok(i) if i < schemes.len() => i,
        _ => names.iter().position(|n| n == which).ok_or_else(|| {
            ScenarioError(format!(
                "--set {arg}: no scheme '{which}' (schemes: {}; or an index 0..{})",
                names.join(", "),
                names.len()
            ))
        })?,
    };
    let mut node = &mut schemes[index];
    for (i, part) in path.iter().enumerate() {
        let table = node
            .as_table_mut()
            .ok_or_else(|| ScenarioError(format!("--set {arg}: '{}' is not a table", path[..i].join("."))))?;
        if i + 1 == path.len() {
            table.insert(part.to_string(), parse_value(arg, raw.trim())?);
            return Ok(());
        }
        let fresh = match (i, inherited.iter().find(|(key, _)| key == part)) {
            (0, Some((_, table))) => table.clone(),
            _ => toml::Value::Table(Default::default()),
        };
        node = table.entry(part.to_string()).or_insert(fresh);
    }
    unreachable!("split always yields at least one part")
}

/// Every key of a scheme's `receiver`, its optional ones (the list receiver's, absent from the
/// default's serialization) included.
fn receiver_schema() -> toml::Value {
    let list = super::schema::ReceiverConfig {
        beam: Some(0),
        first_beam: Some(0),
        max_penalty: Some(0.0),
        parity: Some(false),
        ..Default::default()
    };
    toml::Value::try_from(list).expect("the receiver serializes")
}

fn parse_value(arg: &str, raw: &str) -> Result<toml::Value, ScenarioError> {
    #[derive(serde::Deserialize)]
    struct Wrapper {
        v: toml::Value,
    }
    match toml::from_str::<Wrapper>(&format!("v = {raw}")) {
        Ok(w) => Ok(w.v),
        // A whole number TOML cannot hold would otherwise become a string, and the field's error
        // ("invalid type: string") would hide why.
        Err(_) if raw.parse::<i128>().is_ok_and(|v| i64::try_from(v).is_err()) => Err(ScenarioError(format!(
            "--set {arg}: {raw} is outside the range of TOML's integers ({} to {})",
            i64::MIN,
            i64::MAX
        ))),
        Err(_) => Ok(toml::Value::String(raw.to_string())),
    }
}

fn lookup<'a>(v: &'a toml::Value, path: &[&str]) -> Option<&'a toml::Value> {
    path.iter().try_fold(v, |node, p| node.as_table()?.get(*p))
}

fn leaf_keys(v: &toml::Value, prefix: &str) -> Vec<String> {
    match v.as_table() {
        Some(t) => t
            .iter()
            .flat_map(|(k, child)| {
                let name = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                if child.is_table() {
                    leaf_keys(child, &name)
                } else {
                    vec![name]
                }
            })
            .collect(),
        None => vec![prefix.to_string()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_nested_values_with_toml_or_bare_strings() {
        let mut t: toml::Value = toml::from_str("seed = 1\n[decoder]\niterations = 50\n").unwrap();
        apply_override(&mut t, "decoder.iterations=5").unwrap();
        apply_override(&mut t, "decoder.kind=min-sum").unwrap();
        apply_override(&mut t, "snr.values_db=[1, 2.5]").unwrap();
        apply_override(&mut t, "seed=42").unwrap();
        assert_eq!(t["decoder"]["iterations"].as_integer(), Some(5));
        assert_eq!(t["decoder"]["kind"].as_str(), Some("min-sum"));
        assert_eq!(t["snr"]["values_db"].as_array().unwrap().len(), 2);
        assert_eq!(t["seed"].as_integer(), Some(42));
    }

    #[test]
    fn an_integer_toml_cannot_hold_is_refused_by_name() {
        let mut t: toml::Value = toml::from_str("seed = 1\n[decoder]\niterations = 50\n").unwrap();
        let err = apply_override(&mut t, "seed=18446744073709551615").unwrap_err().to_string();
        assert!(err.contains("seed=18446744073709551615: 18446744073709551615 is outside the range"), "{err}");
        apply_override(&mut t, "seed=9223372036854775807").unwrap();
        assert_eq!(t["seed"].as_integer(), Some(i64::MAX));
        // Not a number at all: a string, as before.
        apply_override(&mut t, "decoder.kind=0123abc").unwrap();
        assert_eq!(t["decoder"]["kind"].as_str(), Some("0123abc"));
    }

    #[test]
    fn unknown_key_is_named_with_the_valid_ones() {
        let mut t: toml::Value = toml::from_str("").unwrap();
        let e = apply_override(&mut t, "decoder.iters=5").unwrap_err().0;
        assert!(e.contains("unknown key 'decoder.iters'"), "{e}");
        assert!(e.contains("decoder.iterations"), "{e}");
        assert!(apply_override(&mut t, "novalue").unwrap_err().0.contains("key=value"));
    }

    #[test]
    fn scheme_fields_are_set_by_name_or_index() {
        let text = "[[schemes]]\nname = \"a\"\n[[schemes]]\nname = \"b\"\n";
        let mut t: toml::Value = toml::from_str(text).unwrap();
        apply_override(&mut t, "schemes.b.decoder.kind=ecct").unwrap();
        apply_override(&mut t, "schemes.0.source=huffman").unwrap();
        assert_eq!(t["schemes"][1]["decoder"]["kind"].as_str(), Some("ecct"));
        assert_eq!(t["schemes"][0]["source"].as_str(), Some("huffman"));
        assert!(apply_override(&mut t, "schemes.c.source=zstd").unwrap_err().0.contains("no scheme 'c'"));
        assert!(apply_override(&mut t, "schemes.a.colour=red").unwrap_err().0.contains("unknown scheme field"));
    }

    /// A scheme without its own code or decoder gets a copy of the scenario's with the one field
    /// changed; one with its own keeps it.
    #[test]
    fn a_schemes_new_code_or_decoder_starts_from_the_scenarios() {
        let text = "[code]\nkind = \"ldpc\"\nfile = \"h.alist\"\n[decoder]\nkind = \"min-sum\"\niterations = 20\n\
                    [[schemes]]\nname = \"a\"\n[[schemes]]\nname = \"b\"\ncode = { kind = \"uncoded\" }\n";
        let mut t: toml::Value = toml::from_str(text).unwrap();
        apply_override(&mut t, "schemes.a.code.interleave=message").unwrap();
        apply_override(&mut t, "schemes.a.decoder.iterations=5").unwrap();
        apply_override(&mut t, "schemes.b.code.uncoded_bits=32").unwrap();
        let a = &t["schemes"][0];
        assert_eq!((a["code"]["kind"].as_str(), a["code"]["file"].as_str()), (Some("ldpc"), Some("h.alist")));
        assert_eq!(a["code"]["interleave"].as_str(), Some("message"));
        assert_eq!(
            (a["decoder"]["kind"].as_str(), a["decoder"]["iterations"].as_integer()),
            (Some("min-sum"), Some(5))
        );
        let b = &t["schemes"][1]["code"];
        assert_eq!(
            (b["kind"].as_str(), b["uncoded_bits"].as_integer(), b.get("file")),
            (Some("uncoded"), Some(32), None)
        );
        // The scenario's own tables are untouched.
        assert_eq!((t["code"].get("interleave"), t["decoder"]["iterations"].as_integer()), (None, Some(20)));
    }

    #[test]
    fn every_receiver_key_can_be_set() {
        // The list receiver's keys are optional (absent from the default's serialization), and
        // were once refused as unknown.
        let mut t: toml::Value = toml::from_str("[[schemes]]\nname = \"a\"\n").unwrap();
        for (key, value) in [("kind", "list"), ("beam", "16"), ("first_beam", "4"), ("max_penalty", "30.0")]
            .into_iter()
            .chain([("parity", "false"), ("candidates", "5"), ("lm_weight", "0.01")])
        {
            apply_override(&mut t, &format!("schemes.a.receiver.{key}={value}")).unwrap();
        }
        let receiver: crate::scenario::ReceiverConfig = t["schemes"][0]["receiver"].clone().try_into().unwrap();
        assert_eq!((receiver.beam, receiver.first_beam, receiver.max_penalty), (Some(16), Some(4), Some(30.0)));
        assert_eq!((receiver.parity, receiver.candidates), (Some(false), 5));
    }
}
