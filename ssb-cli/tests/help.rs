//! The command line itself: `--help` / `help` for every command, `--version`, usage errors
//! (stderr, exit 2, a pointer to `--help`), the documented exit statuses, completions.

mod common;

use common::{ssb, stderr, stdout, tmp};

/// Every command, as `ssb --help` must list it (a new command needs a line here, and so
/// gets the checks below).
const COMMANDS: &[&str] = &[
    "conformance",
    "keygen",
    "id",
    "canonical",
    "msg-id",
    "publish",
    "verify-feed",
    "import",
    "export",
    "shs1",
    "boxstream",
    "private-box",
    "call",
    "replicate",
    "serve",
    "completions",
];

/// Nested commands, checked the same way.
const NESTED: &[&[&str]] = &[
    &["shs1", "server"],
    &["shs1", "client"],
    &["private-box", "seal"],
    &["private-box", "open"],
];

#[test]
fn top_level_help_lists_every_command_and_the_exit_statuses() {
    for args in [&["--help"][..], &["-h"], &["help"]] {
        let out = ssb(args, None);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let text = stdout(&out);
        assert!(text.contains("Usage: ssb <COMMAND>"), "{text}");
        let listed: Vec<&str> = text
            .split("Commands:")
            .nth(1)
            .expect("a command list")
            .lines()
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            .filter_map(|l| l.split_whitespace().next())
            .filter(|c| *c != "help")
            .collect();
        assert_eq!(listed, COMMANDS, "{args:?}");
        for status in [
            "0  success",
            "1  a check failed",
            "2  usage, input or I/O error",
        ] {
            assert!(text.contains(status), "{status:?} missing:\n{text}");
        }
        assert!(out.stderr.is_empty());
    }
}

#[test]
fn version_for_ssb_and_every_command() {
    let v = env!("CARGO_PKG_VERSION");
    for flag in ["--version", "-V"] {
        let out = ssb(&[flag], None);
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(stdout(&out), format!("ssb {v}\n"));
    }
    let all = COMMANDS
        .iter()
        .map(|c| vec![*c])
        .chain(NESTED.iter().map(|n| n.to_vec()));
    for cmd in all {
        let mut args = cmd.clone();
        args.push("--version");
        let out = ssb(&args, None);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert_eq!(
            stdout(&out),
            format!("ssb-{} {v}\n", cmd.join("-")),
            "{args:?}"
        );
    }
}

#[test]
fn every_command_has_help() {
    let all: Vec<Vec<&str>> = COMMANDS
        .iter()
        .map(|c| vec![*c])
        .chain(NESTED.iter().map(|n| n.to_vec()))
        .collect();
    for cmd in &all {
        let usage = format!("Usage: ssb {}", cmd.join(" "));
        let mut long = cmd.clone();
        long.push("--help");
        let mut short = cmd.clone();
        short.push("-h");
        let mut via_help = vec!["help"];
        via_help.extend(cmd.iter().copied());
        for args in [long, short, via_help] {
            let out = ssb(&args, None);
            assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
            let text = stdout(&out);
            assert!(text.contains(&usage), "{args:?}:\n{text}");
            assert!(text.contains("-h, --help"), "{args:?}:\n{text}");
        }
    }
}

/// Each command's documented flags appear in its help, spelled as scripts use them.
#[test]
fn help_shows_the_documented_flags() {
    let expect: &[(&[&str], &[&str])] = &[
        (&["keygen"], &["--seed <HEX>", "--secret <FILE>"]),
        (&["id"], &["--secret <FILE>"]),
        (
            &["shs1", "server"],
            &[
                "<K_HEX> <SERVER_SK_HEX> <SERVER_PK_HEX>",
                "--ephemeral-secret <HEX>",
            ],
        ),
        (
            &["shs1", "client"],
            &[
                "<K_HEX> <SERVER_PK_HEX>",
                "--ephemeral-secret <HEX>",
                "--keypair-seed <HEX>",
            ],
        ),
        (
            &["boxstream"],
            &["<seal|open>", "--key <HEX>", "--nonce <HEX>"],
        ),
        (
            &["private-box", "seal"],
            &["--to <@ID[,@ID...]>", "--max <N>"],
        ),
        (&["private-box", "open"], &["--secret <FILE>", "--max <N>"]),
        (
            &["verify-feed"],
            &[
                "--hmac-key <B64>",
                "--json",
                "--partial",
                "--format <FORMAT>",
                "auto",
                "array",
                "jsonl",
                "--quiet",
                "[FILE]",
            ],
        ),
        (
            &["canonical"],
            &["--compact", "--utf16-len", "--legacy-sha256", "[FILE]"],
        ),
        (&["msg-id"], &["[FILE]"]),
        (
            &["publish"],
            &[
                "--feed <FILE>",
                "--content <JSON>",
                "--secret <FILE>",
                "--timestamp <MS>",
                "--hmac-key <B64>",
                "--repair",
            ],
        ),
        (&["completions"], &["<SHELL>", "bash", "zsh", "fish"]),
        (
            &["call"],
            &[
                "<ADDRESS>",
                "<METHOD>",
                "[ARGS_JSON]",
                "--source",
                "--verify",
                "--secret <FILE>",
                "--caps <B64>",
                "--timeout <SECONDS>",
            ],
        ),
        (
            &["replicate"],
            &[
                "<ADDRESS>",
                "--feed <@ID>",
                "--store <DIR>",
                "--secret <FILE>",
                "--caps <B64>",
                "--hmac-key <B64>",
                "--legacy",
                "--timeout <SECONDS>",
            ],
        ),
        (
            &["serve"],
            &[
                "--listen <HOST:PORT>",
                "--secret <FILE>",
                "--caps <B64>",
                "--feed <FILE>",
                "--store <DIR>",
            ],
        ),
        (
            &["import"],
            &[
                "--store <DIR>",
                "--hmac-key <B64>",
                "--format <FORMAT>",
                "<FILE>...",
            ],
        ),
        (
            &["export"],
            &["--feed <@ID>", "--store <DIR>", "--as-received"],
        ),
        (
            &["conformance"],
            &[
                "--vectors <DIR>",
                "--peer <ADDRESS>",
                "--feed <@ID>",
                "--secret <FILE>",
                "--caps <B64>",
            ],
        ),
    ];
    for (cmd, flags) in expect {
        let mut args = cmd.to_vec();
        args.push("--help");
        let text = stdout(&ssb(&args, None));
        for f in *flags {
            assert!(text.contains(f), "{cmd:?}: {f} missing:\n{text}");
        }
    }
}

/// A usage error: exit 2, nothing on stdout, and stderr says what and where to look.
fn assert_usage_error(args: &[&str]) {
    let out = ssb(args, None);
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    assert!(out.stdout.is_empty(), "{args:?}");
    let err = stderr(&out);
    assert!(
        err.contains("--help"),
        "{args:?}: no pointer to --help:\n{err}"
    );
}

#[test]
fn usage_errors_exit_2_on_stderr_with_a_pointer_to_help() {
    let k = "00".repeat(32);
    let cases: &[&[&str]] = &[
        &[],
        &["frobnicate"],
        &["--frobnicate"],
        &["conformance", "--vectors"],
        &["conformance", "extra"],
        &["keygen", "--seed", "zz"],
        &["keygen", "--seed", "00"],
        &["keygen", "--nope"],
        &["id", "extra"],
        &["canonical", "--compact", "--utf16-len"],
        &["canonical", "--utf16-len", "--legacy-sha256"],
        &["canonical", "a", "b"],
        &["msg-id", "--compact"],
        &["publish"],
        &["publish", "--feed", "f"],
        &["publish", "--content", "{}"],
        &[
            "publish",
            "--feed",
            "f",
            "--content",
            "{}",
            "--timestamp",
            "x",
        ],
        &[
            "publish",
            "--feed",
            "f",
            "--content",
            "{}",
            "--hmac-key",
            "x",
        ],
        &["verify-feed", "--format", "xml"],
        &["verify-feed", "--hmac-key", "nope"],
        &["verify-feed", "a", "b"],
        &["verify-feed", "--frobnicate"],
        &["shs1"],
        &["shs1", "peer"],
        &["shs1", "server", &k],
        &["shs1", "server", &k, &k, &k],
        &["shs1", "client", &k],
        &["shs1", "client", "zz", &k],
        &["shs1", "client", &k, &k, "--ephemeral-secret", "00"],
        &["boxstream"],
        &["boxstream", "seal"],
        &["boxstream", "seal", "--key", &k],
        &[
            "boxstream",
            "shut",
            "--key",
            &k,
            "--nonce",
            &"00".repeat(24),
        ],
        &["boxstream", "seal", "--key", &k, "--nonce", &k],
        &["completions"],
        &["completions", "tcsh"],
        &["help", "frobnicate"],
        &["call"],
        &["call", "net:127.0.0.1:1~shs:nope", "whoami"],
        &[
            "call",
            "net:127.0.0.1:1~shs:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        ],
        &["replicate"],
        &["replicate", "net:127.0.0.1:1~shs:nope", "--feed", "@x"],
        &[
            "replicate",
            "net:127.0.0.1:1~shs:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        ],
        &["serve"],
        &["serve", "--listen", "127.0.0.1:0", "--caps", "x"],
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--feed",
            "f",
            "--store",
            "d",
        ],
        &["import"],
        &["import", "--store", "d"],
        &["import", "--hmac-key", "x", "f"],
        &["import", "--format", "xml", "f"],
        &["export"],
        &["export", "--feed", "@x"],
        &["export", "--store", "d"],
        &["conformance", "--feed", "@x"],
        &["conformance", "--peer", "x"],
        &[
            "conformance",
            "--vectors",
            "d",
            "--peer",
            "net:127.0.0.1:1~shs:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        ],
    ];
    for args in cases {
        assert_usage_error(args);
    }
    // A contradiction clap cannot see: also exit 2 and a pointer to --help.
    let sk = format!("{}{}", "00".repeat(32), "11".repeat(32));
    assert_usage_error(&["shs1", "server", &k, &sk, &k]);
}

#[test]
fn input_and_io_errors_exit_2_with_one_line() {
    let dir = tmp("io-errors");
    let missing = dir.join("missing");
    let m = missing.to_str().expect("UTF-8");
    for args in [
        &["canonical", m][..],
        &["msg-id", m],
        &["verify-feed", m],
        &[
            "export",
            "--store",
            m,
            "--feed",
            "@iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=.ed25519",
        ],
        &["id", "--secret", m],
        &["conformance", "--vectors", m],
    ] {
        let out = ssb(args, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with(&format!("ssb {}: ", args[0])), "{err}");
    }
    // Over the input limit (8 MiB): refused without reading it all.
    let big = vec![b' '; 8 * 1024 * 1024 + 1];
    let out = ssb(&["canonical"], Some(&big));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("larger than the limit"),
        "{}",
        stderr(&out)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn checks_that_fail_exit_1() {
    // Not JSON: one line naming the offset.
    for cmd in ["canonical", "msg-id"] {
        let out = ssb(&[cmd], Some(b"{\"a\":1,}"));
        assert_eq!(out.status.code(), Some(1), "{cmd}");
        assert!(out.stdout.is_empty());
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("at byte 7"), "{err}");
    }
    let out = ssb(&["verify-feed", "-q"], Some(b"{}\n"));
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.is_empty(), "--quiet");
    let k = "00".repeat(32);
    let n = "00".repeat(24);
    let out = ssb(
        &["boxstream", "open", "--key", &k, "--nonce", &n],
        Some(&[0; 40]),
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn canonical_and_msg_id_read_a_file_or_stdin() {
    let dir = tmp("file-or-stdin");
    let path = dir.join("m.json");
    let text = br#"{"b":1E3,"a":[],"1":"\u00e9"}"#;
    common::write(&path, text);
    let p = path.to_str().expect("UTF-8");
    let want = "{\n  \"1\": \"é\",\n  \"b\": 1000,\n  \"a\": []\n}\n";
    for args in [&["canonical", p][..], &["canonical"], &["canonical", "-"]] {
        let out = ssb(args, Some(text));
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(stdout(&out), want, "{args:?}");
    }
    let a = stdout(&ssb(&["msg-id", p], None));
    let b = stdout(&ssb(&["msg-id", "-"], Some(text)));
    assert!(a.starts_with('%') && a.ends_with(".sha256\n"), "{a}");
    assert_eq!(a, b);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn completions_for_bash_zsh_and_fish_come_from_the_same_definitions() {
    for shell in ["bash", "zsh", "fish"] {
        let out = ssb(&["completions", shell], None);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = stdout(&out);
        for word in [
            "verify-feed",
            "msg-id",
            "legacy-sha256",
            "repair",
            "keypair-seed",
            "as-received",
        ] {
            assert!(script.contains(word), "{shell}: {word} missing");
        }
    }
    // The bash script is valid bash (when bash is installed, as on CI).
    let dir = tmp("completions");
    let path = dir.join("ssb.bash");
    common::write(&path, &ssb(&["completions", "bash"], None).stdout);
    if let Ok(st) = std::process::Command::new("bash")
        .arg("-n")
        .arg(&path)
        .status()
    {
        assert!(st.success(), "bash -n rejects the completion script");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
