//! Tar bytes exactly as node-tar 7 writes them for `npm pack` (portable mode, fixed mtime), gzip
//! at level 9, and the sha1 / sha512 digests npm reports.
//!
//! The Rust `tar` crate pads numeric fields differently (`0000644\0` instead of node-tar's
//! `000644 \0`), so headers are written by hand here.

use std::io::Write;

use base64::Engine;
use sha1::Digest as _;

/// npm's fixed mtime: 1985-10-26T08:15:00.000Z.
pub const NPM_MTIME: u64 = 499_162_500;

/// One file to put into the archive, with its path relative to the package root.
pub struct TarEntry<'a> {
    pub path: &'a str,
    pub mode: u32,
    pub data: &'a [u8],
}

/// Builds the uncompressed tar stream: `package/` prefixed file entries, two zero end blocks,
/// no padding to a 10240-byte record (node-tar does not pad).
pub fn build_tar(entries: &[TarEntry<'_>]) -> Vec<u8> {
    let total: usize = entries
        .iter()
        .map(|e| 1536 + e.data.len().div_ceil(512) * 512)
        .sum();
    let mut out = Vec::with_capacity(total + 1024);
    for e in entries {
        // node-tar's prefixPath strips a leading `./` (npm-packlist adds one to `@` paths).
        let rel = e.path.strip_prefix("./").unwrap_or(e.path);
        let path = format!("package/{rel}");
        let size = e.data.len() as u64;
        let (block, need_pax) = header(&path, e.mode, size, b'0');
        if need_pax {
            out.extend_from_slice(&pax(&path, size));
        }
        out.extend_from_slice(&block);
        out.extend_from_slice(e.data);
        let pad = (512 - e.data.len() % 512) % 512;
        out.extend(std::iter::repeat_n(0u8, pad));
    }
    out.extend(std::iter::repeat_n(0u8, 1024));
    out
}

/// A PAX extended header (`x`) carrying `path`, `mtime` and `size`, as node-tar's `Pax.encode`.
fn pax(path: &str, size: u64) -> Vec<u8> {
    let body = format!(
        "{}{}{}",
        pax_field("path", path),
        pax_field("mtime", &NPM_MTIME.to_string()),
        pax_field("size", &size.to_string())
    );
    let base = path.rsplit('/').next().unwrap_or(path);
    // JavaScript slices UTF-16 code units; truncating by chars matches for BMP names.
    let name: String = format!("PaxHeader/{base}")
        .encode_utf16()
        .take(99)
        .collect::<Vec<u16>>()
        .pipe(|u| String::from_utf16_lossy(&u));
    let (block, _) = header(&name, 0o644, body.len() as u64, b'x');
    let mut out = block.to_vec();
    out.extend_from_slice(body.as_bytes());
    let pad = (512 - body.len() % 512) % 512;
    out.extend(std::iter::repeat_n(0u8, pad));
    out
}

trait Pipe: Sized {
    fn pipe<R>(self, f: impl FnOnce(Self) -> R) -> R {
        f(self)
    }
}
impl<T> Pipe for T {}

/// `"<len> key=value\n"` where len counts the whole record, itself included.
fn pax_field(key: &str, value: &str) -> String {
    let s = format!(" {key}={value}\n");
    let byte_len = s.len();
    let mut digits = byte_len.to_string().len();
    if byte_len + digits >= 10usize.pow(digits as u32) {
        digits += 1;
    }
    format!("{}{s}", digits + byte_len)
}

/// Encodes one ustar header block; returns whether a PAX header is needed.
fn header(path: &str, mode: u32, size: u64, typeflag: u8) -> ([u8; 512], bool) {
    let mut b = [0u8; 512];
    let (name, prefix, split_failed) = split_prefix(path, 155);
    let mut need_pax = split_failed;
    need_pax |= enc_string(&mut b[0..100], &name);
    enc_octal(&mut b[100..108], mode as u64);
    // uid/gid are left NUL in portable mode (node-tar passes undefined).
    enc_octal(&mut b[124..136], size);
    enc_octal(&mut b[136..148], NPM_MTIME);
    b[156] = typeflag;
    b[257..265].copy_from_slice(b"ustar\x0000");
    // uname/gname undefined → NUL; devmajor/devminor are 0.
    enc_octal(&mut b[329..337], 0);
    enc_octal(&mut b[337..345], 0);
    need_pax |= enc_string(&mut b[345..500], &prefix);
    let mut sum: u64 = 8 * 0x20;
    for (i, byte) in b.iter().enumerate() {
        if !(148..156).contains(&i) {
            sum += *byte as u64;
        }
    }
    enc_octal(&mut b[148..156], sum);
    (b, need_pax)
}

/// node-tar's `padOctal`: zero-padded to width-2 digits, a space, then NUL.
fn enc_octal(field: &mut [u8], n: u64) {
    let size = field.len();
    let digits = format!("{n:o}");
    let s = if digits.len() == size - 1 {
        format!("{digits}\0")
    } else {
        format!("{}{digits} \0", "0".repeat(size - 1 - digits.len() - 1))
    };
    let bytes = s.as_bytes();
    let n = bytes.len().min(size);
    field[..n].copy_from_slice(&bytes[..n]);
}

/// Writes `s` NUL-padded, never splitting a UTF-8 character (Buffer.write semantics); returns
/// true when the string is non-ASCII or longer than the field (node-tar's `encString`).
fn enc_string(field: &mut [u8], s: &str) -> bool {
    let mut n = 0;
    for (i, c) in s.char_indices() {
        let end = i + c.len_utf8();
        if end > field.len() {
            break;
        }
        n = end;
    }
    field[..n].copy_from_slice(&s.as_bytes()[..n]);
    let utf16_len = s.encode_utf16().count();
    utf16_len != s.len() || utf16_len > field.len()
}

/// node-tar's `splitPrefix`: (name, prefix, needs-pax).
fn split_prefix(p: &str, prefix_size: usize) -> (String, String, bool) {
    const PATH_SIZE: usize = 100;
    if p.len() < PATH_SIZE {
        return (p.to_string(), String::new(), false);
    }
    let mut prefix = posix_dirname(p).to_string();
    let mut pp = posix_basename(p).to_string();
    let root = if p.starts_with('/') { "/" } else { "." };
    loop {
        if pp.len() <= PATH_SIZE && prefix.len() <= prefix_size {
            return (pp, prefix, false);
        } else if pp.len() > PATH_SIZE && prefix.len() <= prefix_size {
            let cut: String = pp
                .encode_utf16()
                .take(PATH_SIZE - 1)
                .collect::<Vec<u16>>()
                .pipe(|u| String::from_utf16_lossy(&u));
            return (cut, prefix, true);
        } else {
            pp = format!("{}/{}", posix_basename(&prefix), pp);
            prefix = posix_dirname(&prefix).to_string();
        }
        if prefix == root {
            break;
        }
    }
    let cut: String = p
        .encode_utf16()
        .take(PATH_SIZE - 1)
        .collect::<Vec<u16>>()
        .pipe(|u| String::from_utf16_lossy(&u));
    (cut, String::new(), true)
}

fn posix_dirname(p: &str) -> &str {
    match p.rfind('/') {
        Some(0) => "/",
        Some(i) => &p[..i],
        None => ".",
    }
}

fn posix_basename(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

/// gzip at level 9 with the 10-byte header npm writes (`1f8b 0800 00000000 02ff`).
pub fn gzip(tar: &[u8]) -> Vec<u8> {
    let mut enc = flate2::GzBuilder::new().operating_system(255).write(
        Vec::with_capacity(tar.len() / 3 + 64),
        flate2::Compression::best(),
    );
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(tar);
    enc.finish().unwrap_or_default()
}

/// (sha1 hex, `sha512-<base64>`) of the compressed bytes.
pub fn digests(tgz: &[u8]) -> (String, String) {
    let sha1 = hex::encode(sha1::Sha1::digest(tgz));
    let sha512 = sha2::Sha512::digest(tgz);
    let integrity = format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(sha512)
    );
    (sha1, integrity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octal_fields_match_node_tar() {
        let mut f = [0u8; 8];
        enc_octal(&mut f, 0o644);
        assert_eq!(&f, b"000644 \0");
        let mut f = [0u8; 12];
        enc_octal(&mut f, NPM_MTIME);
        assert_eq!(&f, b"3560116604 \0");
        let mut f = [0u8; 12];
        enc_octal(&mut f, 2);
        assert_eq!(&f, b"0000000002 \0");
    }

    #[test]
    fn gzip_header_is_npms() {
        let gz = gzip(b"hello");
        assert_eq!(&gz[..10], &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 0xff]);
    }

    #[test]
    fn pax_record_length_counts_itself() {
        assert_eq!(pax_field("size", "5"), "9 size=5\n");
        // 98 bytes of record body + 2 digits = 100 → needs 3 digits.
        let v = "x".repeat(91);
        let rec = pax_field("path", &v);
        assert!(rec.starts_with("101 "));
        assert_eq!(rec.len(), 101);
    }

    #[test]
    fn long_path_splits_into_prefix() {
        let dir = "d".repeat(100);
        let p = format!("package/{dir}/file.js");
        let (name, prefix, pax) = split_prefix(&p, 155);
        assert_eq!(name, "file.js");
        assert_eq!(prefix, format!("package/{dir}"));
        assert!(!pax);
    }
}
