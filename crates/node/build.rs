//! Builds the C++ V8 shim against the headers of the Node.js that builds the addon.
//!
//! The headers are found, in order, in `FERROPROF_NODE_INCLUDE`, under
//! `$FERROPROF_NODE/../include/node` (a `node` binary), or under the install prefix
//! of the `node` on PATH. V8's C++ ABI differs per Node major, so the binary must be
//! built per Node ABI; the ABI is exported to the crate as `FERROPROF_NODE_ABI`.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn node_binary() -> String {
    env::var("FERROPROF_NODE").unwrap_or_else(|_| "node".to_string())
}

fn include_dir() -> PathBuf {
    if let Ok(dir) = env::var("FERROPROF_NODE_INCLUDE") {
        return PathBuf::from(dir);
    }
    let node = node_binary();
    let out = Command::new(&node)
        .args(["-p", "process.execPath"])
        .output()
        .unwrap_or_else(|e| panic!("ferroprof: cannot run `{node}` to find Node headers: {e}"));
    let exec = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let prefix = exec
        .parent()
        .and_then(Path::parent)
        .expect("ferroprof: node's execPath has no install prefix");
    prefix.join("include").join("node")
}

/// Reads `'name': value,` from Node's config.gypi (Node 22+ writes double quotes).
fn gypi_var(config: &str, name: &str) -> Option<String> {
    let (single, double) = (format!("'{name}':"), format!("\"{name}\":"));
    config.lines().find_map(|line| {
        let line = line.trim_start();
        let rest = line
            .strip_prefix(&single)
            .or_else(|| line.strip_prefix(&double))?;
        Some(
            rest.trim()
                .trim_end_matches(',')
                .trim_matches(|c| c == '\'' || c == '"')
                .to_string(),
        )
    })
}

fn main() {
    napi_build::setup();

    let include = include_dir();
    let v8_header = include.join("v8-profiler.h");
    assert!(
        v8_header.exists(),
        "ferroprof: Node headers not found in {} (set FERROPROF_NODE_INCLUDE to the include/node folder of the Node you build for)",
        include.display()
    );
    let config = fs::read_to_string(include.join("config.gypi")).unwrap_or_default();
    let abi = gypi_var(&config, "node_module_version").unwrap_or_else(|| "unknown".into());

    let mut build = cc::Build::new();
    build
        .cpp(true)
        .file("src/shim.cc")
        .include(&include)
        .flag_if_supported("-std=c++20")
        .flag_if_supported("/std:c++20")
        .flag_if_supported("-fno-exceptions")
        .flag_if_supported("-fno-rtti")
        .flag_if_supported("-Wno-unused-parameter");
    // V8's inline functions and object layout depend on these build flags: they must
    // match the Node that loads the addon.
    if gypi_var(&config, "v8_enable_pointer_compression").as_deref() == Some("1") {
        build.define("V8_COMPRESS_POINTERS", None);
    }
    if gypi_var(&config, "v8_enable_pointer_compression_shared_cage").as_deref() == Some("1") {
        build.define("V8_COMPRESS_POINTERS_IN_SHARED_CAGE", None);
    }
    if gypi_var(&config, "v8_enable_31bit_smis_on_64bit_arch").as_deref() == Some("1") {
        build.define("V8_31BIT_SMIS_ON_64BIT_ARCH", None);
    }
    if gypi_var(&config, "v8_enable_sandbox").as_deref() == Some("1") {
        build.define("V8_ENABLE_SANDBOX", None);
    }
    build.compile("ferroprof_v8_shim");

    println!("cargo:rustc-env=FERROPROF_NODE_ABI={abi}");
    println!("cargo:rerun-if-changed=src/shim.cc");
    println!("cargo:rerun-if-env-changed=FERROPROF_NODE_INCLUDE");
    println!("cargo:rerun-if-env-changed=FERROPROF_NODE");
    println!(
        "cargo:rerun-if-changed={}",
        include.join("node_version.h").display()
    );
}
