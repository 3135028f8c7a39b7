//! The zip container of a `.npz` archive: finding the central directory
//! (zip64 included), reading its entries and unpacking each member, stored
//! or deflated, with its size and CRC-32 checked. Nothing here knows what
//! the members hold.

use std::borrow::Cow;
use std::io::Read;

use crate::budget::Budget;
use crate::error::ImportError;

use super::bytes::{u16_at, u32_at, u64_at};

/// Signature of the end of central directory record.
const END_OF_DIRECTORY: u32 = 0x0605_4b50;
/// Signature of the zip64 end of central directory locator.
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
/// Signature of the zip64 end of central directory record.
const ZIP64_END_OF_DIRECTORY: u32 = 0x0606_4b50;
/// Signature of a central directory entry.
const DIRECTORY_ENTRY: u32 = 0x0201_4b50;
/// Signature of a member's local header.
const LOCAL_HEADER: u32 = 0x0403_4b50;
/// Bytes of the end of central directory record without its comment.
const END_OF_DIRECTORY_LEN: usize = 22;
/// Bytes of a central directory entry before its name.
const DIRECTORY_ENTRY_LEN: usize = 46;
/// Bytes of a local header before its name.
const LOCAL_HEADER_LEN: usize = 30;
/// A 32-bit size or offset of this value is stored in the zip64 extra field.
const ZIP64_MARK: u64 = 0xFFFF_FFFF;

/// Why the archive's members cannot be read.
pub(super) enum MemberError {
    /// The archive as a whole (no directory, truncated).
    Archive(String),
    /// One member, by its name in the archive.
    Member(String, String),
    /// What the member's reader said.
    Import(ImportError),
}

/// The error for a file without a zip directory.
fn not_zip() -> MemberError {
    MemberError::Archive(
        "not a .npz archive (no zip directory found; write it with np.savez)".to_owned(),
    )
}

/// The error for a directory record that ends early or points outside the
/// file.
fn truncated() -> MemberError {
    MemberError::Archive("the .npz archive is truncated or damaged".to_owned())
}

/// Calls `each` with the name and unpacked bytes of every member of the zip
/// archive `b`, in directory order. A member is unpacked only when the
/// budget allows its declared size, and dropped before the next one is
/// unpacked, so at most one member's bytes are held at a time.
pub(super) fn for_each_member(
    b: &[u8],
    budget: &mut Budget,
    mut each: impl FnMut(&str, &[u8], &mut Budget) -> Result<(), ImportError>,
) -> Result<(), MemberError> {
    let (entries, mut at) = find_directory(b)?;
    // Every entry takes at least 46 bytes of the directory, so a damaged
    // count ends at the archive's end rather than looping on.
    for _ in 0..entries {
        let entry = DirEntry::read(b, at)?;
        at = entry.next;
        if entry.name.ends_with('/') {
            // A folder: nothing to read.
            continue;
        }
        let data = entry.unpack(entry.stored_bytes(b)?, budget)?;
        entry.check_unpacked(&data)?;
        each(&entry.name, &data, budget).map_err(MemberError::Import)?;
    }
    Ok(())
}

/// The number of entries of the central directory and its offset, from the
/// end of central directory record (the last one in the archive's final
/// 64 KiB) or, when its fields overflow, from the zip64 record.
fn find_directory(b: &[u8]) -> Result<(u64, usize), MemberError> {
    if b.len() < END_OF_DIRECTORY_LEN {
        return Err(not_zip());
    }
    let last = b.len() - END_OF_DIRECTORY_LEN;
    // The record ends with a comment of at most 65535 bytes.
    let lowest = last.saturating_sub(65535);
    let eocd = (lowest..=last)
        .rev()
        .find(|&i| u32_at(b, i) == Some(END_OF_DIRECTORY))
        .ok_or_else(not_zip)?;
    let mut entries = u64::from(u16_at(b, eocd + 10).ok_or_else(truncated)?);
    let mut dir = u64::from(u32_at(b, eocd + 16).ok_or_else(truncated)?);
    // Zip64 end of central directory, when the classic fields overflow.
    if (entries == 0xFFFF || dir == ZIP64_MARK)
        && eocd >= 20
        && u32_at(b, eocd - 20) == Some(ZIP64_LOCATOR)
    {
        let at = usize::try_from(u64_at(b, eocd - 20 + 8).ok_or_else(truncated)?)
            .map_err(|_| truncated())?;
        if u32_at(b, at) != Some(ZIP64_END_OF_DIRECTORY) {
            return Err(truncated());
        }
        let field = |offset: usize| {
            at.checked_add(offset)
                .and_then(|f| u64_at(b, f))
                .ok_or_else(truncated)
        };
        entries = field(32)?;
        dir = field(48)?;
    }
    let dir = usize::try_from(dir).map_err(|_| truncated())?;
    Ok((entries, dir))
}

/// One central directory entry: a member's name, how it is stored, and
/// where its local header is.
struct DirEntry {
    name: String,
    /// Compression method: 0 stored, 8 deflate.
    method: u16,
    /// CRC-32 of the unpacked bytes.
    crc: u32,
    /// Bytes as stored in the archive.
    compressed: u64,
    /// Bytes once unpacked.
    size: u64,
    /// Offset of the local header.
    local: u64,
    /// Offset of the next entry.
    next: usize,
}

impl DirEntry {
    /// Reads the entry at `at`, its 32-bit sizes and offset replaced by
    /// their zip64 values where they overflowed.
    fn read(b: &[u8], at: usize) -> Result<Self, MemberError> {
        if u32_at(b, at) != Some(DIRECTORY_ENTRY) {
            return Err(truncated());
        }
        let u16_field = |offset| u16_at(b, at + offset).ok_or_else(truncated);
        let u32_field = |offset| u32_at(b, at + offset).ok_or_else(truncated);
        let method = u16_field(10)?;
        let crc = u32_field(16)?;
        let mut compressed = u64::from(u32_field(20)?);
        let mut size = u64::from(u32_field(24)?);
        let name_len = usize::from(u16_field(28)?);
        let extra_len = usize::from(u16_field(30)?);
        let comment_len = usize::from(u16_field(32)?);
        let mut local = u64::from(u32_field(42)?);
        let name_at = at + DIRECTORY_ENTRY_LEN;
        let name_bytes = b.get(name_at..name_at + name_len).ok_or_else(truncated)?;
        let name = String::from_utf8_lossy(name_bytes).into_owned();
        let extra_at = name_at + name_len;
        let extra = b
            .get(extra_at..extra_at + extra_len)
            .ok_or_else(truncated)?;
        apply_zip64_extra(extra, [&mut size, &mut compressed, &mut local])?;
        Ok(DirEntry {
            name,
            method,
            crc,
            compressed,
            size,
            local,
            next: extra_at + extra_len + comment_len,
        })
    }

    /// An error about this member.
    fn error(&self, message: String) -> MemberError {
        MemberError::Member(self.name.clone(), message)
    }

    /// The error for a member whose bytes end early or point outside the
    /// file.
    fn damaged(&self) -> MemberError {
        self.error("the member is truncated or damaged".to_owned())
    }

    /// The member's bytes as stored, after its local header.
    fn stored_bytes<'b>(&self, b: &'b [u8]) -> Result<&'b [u8], MemberError> {
        let local = usize::try_from(self.local).map_err(|_| self.damaged())?;
        if u32_at(b, local) != Some(LOCAL_HEADER) {
            return Err(self.damaged());
        }
        // The local header repeats the name and has its own extra field.
        let start = local
            .checked_add(LOCAL_HEADER_LEN)
            .and_then(|s| s.checked_add(usize::from(u16_at(b, local + 26)?)))
            .and_then(|s| s.checked_add(usize::from(u16_at(b, local + 28)?)))
            .ok_or_else(|| self.damaged())?;
        let end = usize::try_from(self.compressed)
            .ok()
            .and_then(|c| start.checked_add(c))
            .ok_or_else(|| self.damaged())?;
        b.get(start..end).ok_or_else(|| self.damaged())
    }

    /// The member's unpacked bytes: stored ones in place, deflated ones
    /// inflated once the budget allows their declared size.
    fn unpack<'b>(&self, raw: &'b [u8], budget: &mut Budget) -> Result<Cow<'b, [u8]>, MemberError> {
        match self.method {
            // Stored: read in place, nothing to allocate.
            0 => Ok(Cow::Borrowed(raw)),
            8 => {
                // The declared size is charged (in total over all members,
                // not one by one) before anything is inflated.
                budget
                    .take(self.size, "the member unpacks to")
                    .map_err(|m| self.error(m))?;
                let cap = usize::try_from(self.size).map_err(|_| self.damaged())?;
                let mut data = Vec::with_capacity(cap);
                flate2::read::DeflateDecoder::new(raw)
                    .take(self.size)
                    .read_to_end(&mut data)
                    .map_err(|e| self.error(format!("the member cannot be inflated: {e}")))?;
                Ok(Cow::Owned(data))
            }
            m => Err(self.error(format!("the member uses zip compression method {m}; spikegate reads stored and deflate members (np.savez, np.savez_compressed)"))),
        }
    }

    /// Refuses unpacked bytes whose length or CRC-32 differ from what the
    /// directory records, so a damaged archive is not read as other weights.
    fn check_unpacked(&self, data: &[u8]) -> Result<(), MemberError> {
        if data.len() as u64 != self.size {
            return Err(self.error(format!(
                "the member is damaged: it unpacks to {} bytes, the archive records {}",
                data.len(),
                self.size
            )));
        }
        let mut sum = flate2::Crc::new();
        sum.update(data);
        if sum.sum() != self.crc {
            return Err(self.error(format!(
                "the member is damaged: its CRC-32 is {:08x}, the archive records {:08x}",
                sum.sum(),
                self.crc
            )));
        }
        Ok(())
    }
}

/// Replaces each of `fields` (unpacked size, stored size, local header
/// offset: the order zip64 keeps them in) that holds [`ZIP64_MARK`] by the
/// next value of the zip64 block of the entry's `extra` field.
fn apply_zip64_extra(extra: &[u8], mut fields: [&mut u64; 3]) -> Result<(), MemberError> {
    let mut e = 0;
    while e + 4 <= extra.len() {
        let id = u16_at(extra, e).unwrap_or(0);
        let len = usize::from(u16_at(extra, e + 2).unwrap_or(0));
        if id == 1 {
            let mut f = e + 4;
            for field in fields.iter_mut() {
                if **field == ZIP64_MARK {
                    **field = u64_at(extra, f).ok_or_else(truncated)?;
                    f += 8;
                }
            }
        }
        e += 4 + len;
    }
    Ok(())
}
