//! Frames: one function at one position, and how V8's profile nodes become frames.

use serde::{Deserialize, Serialize};

/// One frame of a stack, in the shape Sentry's profile formats use.
///
/// Every field is optional because native and VM-internal frames have no file or line.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Frame {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abs_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lineno: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colno: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_app: Option<bool>,
}

impl Frame {
    /// Rough heap footprint, used to bound the stack table by bytes.
    pub fn heap_bytes(&self) -> usize {
        [&self.function, &self.abs_path, &self.filename, &self.module]
            .iter()
            .map(|s| s.as_ref().map_or(0, |s| s.capacity()))
            .sum::<usize>()
            + std::mem::size_of::<Frame>()
    }
}

/// Where V8 says a profile node comes from (`v8::CpuProfileNode::SourceType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum V8SourceType {
    Script,
    Builtin,
    Callback,
    Internal,
    Unresolved,
}

impl V8SourceType {
    pub fn from_raw(raw: i32) -> Self {
        match raw {
            0 => Self::Script,
            1 => Self::Builtin,
            2 => Self::Callback,
            3 => Self::Internal,
            _ => Self::Unresolved,
        }
    }
}

/// What the V8 bridge copies out of one `CpuProfileNode`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct V8NodeInfo {
    pub function_name: String,
    pub script_name: String,
    /// 1-based; 0 when V8 has no line.
    pub line: u32,
    /// 1-based; 0 when V8 has no column.
    pub column: u32,
    pub source_type: V8SourceType,
}

/// How a V8 node takes part in a stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeRole {
    /// The synthetic `(root)` node: not a frame.
    Root,
    /// `(program)` / `(idle)`: V8 was not running JavaScript. The sample is idle
    /// (an empty stack), which is how Sentry marks idle time.
    Idle,
    /// A real frame (JavaScript, builtin, native callback, or `(garbage collector)`).
    Frame(Frame),
}

impl V8NodeInfo {
    /// Classifies the node and, for real frames, derives the Sentry frame.
    ///
    /// Rules (documented in the README): `(root)` is dropped; `(program)` and
    /// `(idle)` make the sample idle; `(garbage collector)` stays as a frame with
    /// `in_app: false`, so GC time is visible; anonymous functions are named
    /// `<anonymous>` and keep their position.
    /// `app_root` is the application's folder; modules of app files are named
    /// relative to it.
    pub fn role(&self, app_root: Option<&str>) -> NodeRole {
        match self.function_name.as_str() {
            "(root)" if self.script_name.is_empty() => return NodeRole::Root,
            "(program)" | "(idle)" if self.script_name.is_empty() => return NodeRole::Idle,
            _ => {}
        }
        NodeRole::Frame(self.to_frame(app_root))
    }

    fn to_frame(&self, app_root: Option<&str>) -> Frame {
        let function = if self.function_name.is_empty() {
            "<anonymous>".to_string()
        } else {
            self.function_name.clone()
        };
        let abs_path = normalize_script_path(&self.script_name);
        let in_app = abs_path.as_deref().is_some_and(is_in_app_path);
        let module = abs_path
            .as_deref()
            .and_then(|p| module_from_path(p, app_root));
        Frame {
            function: Some(function),
            filename: abs_path.clone(),
            abs_path,
            module,
            lineno: (self.line > 0).then_some(self.line),
            colno: (self.column > 0).then_some(self.column),
            in_app: Some(in_app),
        }
    }
}

/// V8 names ES modules by `file://` URL; Sentry wants a path.
fn normalize_script_path(script: &str) -> Option<String> {
    if script.is_empty() {
        return None;
    }
    let path = script.strip_prefix("file://").unwrap_or(script);
    Some(percent_decode(path))
}

fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if let Some(Ok(v)) = s.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16)) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Application code is anything with a real path outside `node_modules`;
/// `node:` internals and dependencies are not.
pub fn is_in_app_path(path: &str) -> bool {
    !(path.starts_with("node:")
        || path.contains("/node_modules/")
        || path.contains("\\node_modules\\")
        || !(path.contains('/') || path.contains('\\')))
}

/// Module name in the style of Sentry's Node SDK: the path below `node_modules` (or
/// below `app_root` for application code) without extension, folders joined by `.`
/// and the file after a `:` — `pg.lib:client`, `routes:users`. `node:` internals keep
/// their own name.
pub fn module_from_path(path: &str, app_root: Option<&str>) -> Option<String> {
    if let Some(builtin) = path.strip_prefix("node:") {
        return Some(builtin.to_string());
    }
    let unified = path.replace('\\', "/");
    let relative = if let Some(idx) = unified.rfind("/node_modules/") {
        &unified[idx + "/node_modules/".len()..]
    } else {
        let root = app_root.map(|r| r.replace('\\', "/"));
        match root.as_deref().map(|r| r.trim_end_matches('/')) {
            Some(r) if !r.is_empty() && unified.starts_with(&format!("{r}/")) => {
                &unified[r.len() + 1..]
            }
            _ => unified.rsplit('/').next().unwrap_or(&unified),
        }
    };
    let without_ext = match relative.rfind('.') {
        Some(dot) if dot > relative.rfind('/').map_or(0, |s| s + 1) => &relative[..dot],
        _ => relative,
    };
    let mut parts: Vec<&str> = without_ext.split('/').filter(|p| !p.is_empty()).collect();
    let file = parts.pop()?;
    Some(if parts.is_empty() {
        file.to_string()
    } else {
        format!("{}:{}", parts.join("."), file)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, script: &str, line: u32) -> V8NodeInfo {
        V8NodeInfo {
            function_name: name.into(),
            script_name: script.into(),
            line,
            column: 3,
            source_type: V8SourceType::Script,
        }
    }

    #[test]
    fn app_frame_keeps_name_path_and_position() {
        let NodeRole::Frame(f) = node("work", "/app/src/job.js", 12).role(Some("/app")) else {
            panic!("expected a frame")
        };
        assert_eq!(f.function.as_deref(), Some("work"));
        assert_eq!(f.abs_path.as_deref(), Some("/app/src/job.js"));
        assert_eq!(f.filename, f.abs_path);
        assert_eq!(f.module.as_deref(), Some("src:job"));
        assert_eq!((f.lineno, f.colno), (Some(12), Some(3)));
        assert_eq!(f.in_app, Some(true));
    }

    #[test]
    fn esm_urls_become_paths() {
        let NodeRole::Frame(f) = node("x", "file:///app/my%20dir/a.mjs", 1).role(None) else {
            panic!()
        };
        assert_eq!(f.abs_path.as_deref(), Some("/app/my dir/a.mjs"));
    }

    #[test]
    fn anonymous_functions_get_a_name() {
        let NodeRole::Frame(f) = node("", "/app/a.js", 4).role(None) else {
            panic!()
        };
        assert_eq!(f.function.as_deref(), Some("<anonymous>"));
        assert_eq!(f.lineno, Some(4));
    }

    #[test]
    fn dependencies_and_internals_are_not_in_app() {
        for (path, module) in [
            (
                "/app/node_modules/express/lib/router/index.js",
                "express.lib.router:index",
            ),
            ("/app/node_modules/pg/lib/client.js", "pg.lib:client"),
            (
                "/app/node_modules/@scope/pkg/dist/x.cjs",
                "@scope.pkg.dist:x",
            ),
            ("node:internal/timers", "internal/timers"),
        ] {
            let NodeRole::Frame(f) = node("f", path, 1).role(None) else {
                panic!()
            };
            assert_eq!(f.in_app, Some(false), "{path}");
            assert_eq!(f.module.as_deref(), Some(module), "{path}");
        }
        let NodeRole::Frame(native) = node("(garbage collector)", "", 0).role(None) else {
            panic!()
        };
        assert_eq!(native.in_app, Some(false));
        assert_eq!(native.lineno, None);
    }

    #[test]
    fn vm_states_are_classified() {
        assert_eq!(node("(root)", "", 0).role(None), NodeRole::Root);
        assert_eq!(node("(program)", "", 0).role(None), NodeRole::Idle);
        assert_eq!(node("(idle)", "", 0).role(None), NodeRole::Idle);
    }

    #[test]
    fn app_modules_are_relative_to_the_app_root() {
        assert_eq!(
            module_from_path("/srv/app/routes/users.js", Some("/srv/app")).as_deref(),
            Some("routes:users")
        );
        assert_eq!(
            module_from_path("/srv/app/main.mjs", Some("/srv/app/")).as_deref(),
            Some("main")
        );
        assert_eq!(
            module_from_path("/elsewhere/x/y.js", Some("/srv/app")).as_deref(),
            Some("y")
        );
    }
}
