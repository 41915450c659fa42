//! SHA-1 (FIPS 180-4) as a `const fn`, for the script's `EVALSHA` digest: computed at compile time,
//! checked against Redis's `SCRIPT LOAD` answer in tests/redis. Not for anything secret.

const fn word(block: &[u8], at: usize) -> u32 {
    ((block[at] as u32) << 24)
        | ((block[at + 1] as u32) << 16)
        | ((block[at + 2] as u32) << 8)
        | (block[at + 3] as u32)
}

const fn compress(h: &mut [u32; 5], block: &[u8; 64]) {
    let mut w = [0u32; 80];
    let mut i = 0;
    while i < 16 {
        w[i] = word(block, 4 * i);
        i += 1;
    }
    while i < 80 {
        w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        i += 1;
    }
    let (mut a, mut b, mut c, mut d, mut e) = (h[0], h[1], h[2], h[3], h[4]);
    i = 0;
    while i < 80 {
        let (f, k) = match i / 20 {
            0 => ((b & c) | (!b & d), 0x5A82_7999),
            1 => (b ^ c ^ d, 0x6ED9_EBA1),
            2 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
            _ => (b ^ c ^ d, 0xCA62_C1D6),
        };
        let t = a
            .rotate_left(5)
            .wrapping_add(f)
            .wrapping_add(e)
            .wrapping_add(k)
            .wrapping_add(w[i]);
        e = d;
        d = c;
        c = b.rotate_left(30);
        b = a;
        a = t;
        i += 1;
    }
    h[0] = h[0].wrapping_add(a);
    h[1] = h[1].wrapping_add(b);
    h[2] = h[2].wrapping_add(c);
    h[3] = h[3].wrapping_add(d);
    h[4] = h[4].wrapping_add(e);
}

/// The SHA-1 digest of `data`.
pub(crate) const fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let len = data.len();
    let mut block = [0u8; 64];
    let mut i = 0;
    // Whole blocks, then the tail with 0x80, zeros and the bit length (one or two blocks).
    while i + 64 <= len {
        let mut j = 0;
        while j < 64 {
            block[j] = data[i + j];
            j += 1;
        }
        compress(&mut h, &block);
        i += 64;
    }
    let rest = len - i;
    let mut tail = [0u8; 128];
    let mut j = 0;
    while j < rest {
        tail[j] = data[i + j];
        j += 1;
    }
    tail[rest] = 0x80;
    let total = if rest + 9 <= 64 { 64 } else { 128 };
    let bits = (len as u64).wrapping_mul(8);
    j = 0;
    while j < 8 {
        tail[total - 1 - j] = (bits >> (8 * j)) as u8;
        j += 1;
    }
    let mut off = 0;
    while off < total {
        j = 0;
        while j < 64 {
            block[j] = tail[off + j];
            j += 1;
        }
        compress(&mut h, &block);
        off += 64;
    }
    let mut out = [0u8; 20];
    j = 0;
    while j < 5 {
        out[4 * j] = (h[j] >> 24) as u8;
        out[4 * j + 1] = (h[j] >> 16) as u8;
        out[4 * j + 2] = (h[j] >> 8) as u8;
        out[4 * j + 3] = h[j] as u8;
        j += 1;
    }
    out
}

/// The SHA-1 digest of `data` in lowercase hex.
pub(crate) const fn sha1_hex(data: &[u8]) -> [u8; 40] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let d = sha1(data);
    let mut out = [0u8; 40];
    let mut i = 0;
    while i < 20 {
        out[2 * i] = HEX[(d[i] >> 4) as usize];
        out[2 * i + 1] = HEX[(d[i] & 15) as usize];
        i += 1;
    }
    out
}
