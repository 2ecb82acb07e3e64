//! Path-safe names for arbitrary labels.
//!
//! A label that is already a safe, short file name is kept as it is. Any other
//! (unicode, `/`, `..`, `=`, spaces, very long, empty) becomes a readable ASCII
//! prefix plus `-` and a 64-bit FNV-1a hash of the whole label, so two labels
//! never share a slug by accident and the slug never escapes its directory.

/// Longest readable prefix kept before the hash.
const MAX_PREFIX: usize = 48;

/// Names Windows refuses whatever the extension; hashed so results dirs copy anywhere.
const RESERVED: [&str; 6] = ["con", "prn", "aux", "nul", "com1", "lpt1"];

/// A file-name-safe slug of `label`; equal labels give equal slugs.
pub fn slug(label: &str) -> String {
    let readable = readable_prefix(label);
    if readable == label && !needs_hash(label) {
        return readable;
    }
    let prefix = readable
        .trim_start_matches(['_', '.'])
        .trim_end_matches('_');
    let prefix = if prefix.is_empty() { "x" } else { prefix };
    format!("{prefix}-{:016x}", fnv1a(label.as_bytes()))
}

/// ASCII letters, digits, `-`, `_`, `.`; every other run becomes one `_`.
fn readable_prefix(label: &str) -> String {
    let mut out = String::with_capacity(label.len().min(MAX_PREFIX));
    for c in label.chars() {
        if out.len() >= MAX_PREFIX {
            break;
        }
        let safe = c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        if safe {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    if out.starts_with('.') {
        out.replace_range(0..1, "_"); // no hidden files, no `.` or `..`
    }
    out
}

fn needs_hash(label: &str) -> bool {
    label.is_empty()
        || label.len() > MAX_PREFIX
        || label.ends_with('.')
        || RESERVED.iter().any(|r| {
            label
                .split('.')
                .next()
                .is_some_and(|stem| stem.eq_ignore_ascii_case(r))
        })
}

/// FNV-1a, 64 bits: stable across platforms and versions (the slug is on disk).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_safe(s: &str) -> bool {
        !s.is_empty()
            && s.len() <= MAX_PREFIX + 17
            && !s.starts_with('.')
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    }

    #[test]
    fn safe_labels_are_kept() {
        for label in ["train", "val_loss", "phase-1.eval", "Epoch_10"] {
            assert_eq!(slug(label), label);
        }
    }

    #[test]
    fn unsafe_labels_get_a_readable_prefix_and_a_hash() {
        let labels = [
            "a/b",
            "a_b/",
            "..",
            ".",
            "",
            "ünïcode λ",
            "../../etc/passwd",
            "x=1",
            "con",
            "trail.",
        ];
        let long = "y".repeat(10_000);
        let mut slugs: Vec<String> = labels.iter().map(|l| slug(l)).collect();
        slugs.push(slug(&long));
        for (label, s) in labels.iter().chain([&long.as_str()]).zip(&slugs) {
            assert!(is_safe(s), "{label:?} -> {s:?}");
            assert_eq!(&slug(label), s, "not deterministic");
        }
        assert!(slugs[0].starts_with("a_b-"));
        assert!(
            slugs[5].starts_with("n_code-") || slugs[5].starts_with("n_code_-"),
            "{}",
            slugs[5]
        );
        let mut unique = slugs.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), slugs.len());
    }

    #[test]
    fn long_labels_differing_at_the_end_differ() {
        let a = format!("{}a", "p".repeat(200));
        let b = format!("{}b", "p".repeat(200));
        assert_ne!(slug(&a), slug(&b));
    }
}
