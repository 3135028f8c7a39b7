//! Little-endian fields at offsets the file itself gives, for the zip
//! records and the `.npy` header: a field past the end is `None`, never a
//! panic.

/// The `N` bytes at `at`, if the archive has them. Offsets come from the
/// file (up to 2^64 - 1 in zip64 records), so the end is a checked sum.
fn bytes_at<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
    b.get(at..at.checked_add(N)?)?.try_into().ok()
}

/// The little-endian `u16` at `at`.
pub(super) fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    bytes_at(b, at).map(u16::from_le_bytes)
}

/// The little-endian `u32` at `at`.
pub(super) fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    bytes_at(b, at).map(u32::from_le_bytes)
}

/// The little-endian `u64` at `at`.
pub(super) fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    bytes_at(b, at).map(u64::from_le_bytes)
}
