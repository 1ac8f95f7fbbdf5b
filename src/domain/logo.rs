//! The buying company's logo, printed at the head of its documents: a PNG or JPEG image, small
//! enough to travel with every PDF and every mail.

use std::sync::Arc;

/// The most bytes a logo may have: a logo of a few hundred pixels is tens of kilobytes.
pub const MAX_BYTES: usize = 512 * 1024;
/// The most pixels on either side. Printed at most 180 by 60 points, a logo needs far fewer; the
/// bound keeps what a document decodes small (2000 × 2000 RGBA is 16 MB).
pub const MAX_SIDE: u32 = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageType {
    Png,
    Jpeg,
}

impl ImageType {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
        }
    }

    /// As people name it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Png => "PNG",
            Self::Jpeg => "JPEG",
        }
    }

    pub fn from_content_type(raw: &str) -> Option<Self> {
        let essence = raw.split(';').next().unwrap_or("").trim();
        if essence.eq_ignore_ascii_case("image/png") {
            Some(Self::Png)
        } else if essence.eq_ignore_ascii_case("image/jpeg") {
            Some(Self::Jpeg)
        } else {
            None
        }
    }

    /// What the first bytes say the image is.
    fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else {
            None
        }
    }
}

/// A logo as stored: the image as it was uploaded, its type and its size in pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logo {
    pub image_type: ImageType,
    pub image: Arc<Vec<u8>>,
    pub width: u32,
    pub height: u32,
}

/// The checks that need no decoding: the declared type is PNG or JPEG, the bytes are what it
/// declares, and they are not too many. Whether the image decodes and how large it is, only a
/// decoder can tell (`documents::check_logo`).
pub fn check_upload(content_type: Option<&str>, bytes: &[u8]) -> Result<ImageType, String> {
    let declared = match content_type {
        None => return Err("Content-Type is missing; send image/png or image/jpeg".to_owned()),
        Some(raw) => ImageType::from_content_type(raw).ok_or_else(|| {
            format!("must be a PNG or JPEG image (image/png or image/jpeg), not '{raw}'")
        })?,
    };
    if bytes.is_empty() {
        return Err("the request body is empty; send the image itself".to_owned());
    }
    if bytes.len() > MAX_BYTES {
        return Err(format!(
            "is {} bytes; a logo may have at most {MAX_BYTES} bytes ({} KiB)",
            bytes.len(),
            MAX_BYTES / 1024
        ));
    }
    match ImageType::sniff(bytes) {
        Some(found) if found == declared => Ok(declared),
        Some(found) => Err(format!(
            "is declared {} but is a {} image",
            declared.content_type(),
            found.name()
        )),
        None => Err(format!(
            "is declared {} but is not a PNG or JPEG image",
            declared.content_type()
        )),
    }
}

/// The pixel size a decoder read, within [`MAX_SIDE`].
pub fn check_size(width: u32, height: u32) -> Result<(), String> {
    if width == 0 || height == 0 {
        return Err("has no pixels".to_owned());
    }
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(format!(
            "is {width} × {height} pixels; a logo may have at most {MAX_SIDE} on either side"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n....";
    const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0];

    #[test]
    fn the_declared_type_must_be_png_or_jpeg_and_match_the_bytes() {
        assert_eq!(check_upload(Some("image/png"), PNG), Ok(ImageType::Png));
        assert_eq!(
            check_upload(Some("IMAGE/JPEG; q=1"), JPEG),
            Ok(ImageType::Jpeg)
        );
        assert_eq!(
            check_upload(Some("image/gif"), b"GIF89a"),
            Err(
                "must be a PNG or JPEG image (image/png or image/jpeg), not 'image/gif'".to_owned()
            )
        );
        assert_eq!(
            check_upload(Some("image/png"), JPEG),
            Err("is declared image/png but is a JPEG image".to_owned())
        );
        assert_eq!(
            check_upload(Some("image/png"), b"<svg/>"),
            Err("is declared image/png but is not a PNG or JPEG image".to_owned())
        );
        assert!(
            check_upload(None, PNG)
                .unwrap_err()
                .contains("Content-Type is missing")
        );
        assert!(
            check_upload(Some("image/png"), b"")
                .unwrap_err()
                .contains("empty")
        );
    }

    #[test]
    fn a_logo_is_bounded_in_bytes_and_pixels() {
        let mut big = PNG.to_vec();
        big.resize(MAX_BYTES + 1, 0);
        assert_eq!(
            check_upload(Some("image/png"), &big),
            Err("is 524289 bytes; a logo may have at most 524288 bytes (512 KiB)".to_owned())
        );
        big.truncate(MAX_BYTES);
        assert_eq!(check_upload(Some("image/png"), &big), Ok(ImageType::Png));
        assert_eq!(check_size(MAX_SIDE, 1), Ok(()));
        assert_eq!(
            check_size(MAX_SIDE + 1, 10),
            Err("is 2001 × 10 pixels; a logo may have at most 2000 on either side".to_owned())
        );
        assert_eq!(check_size(0, 10), Err("has no pixels".to_owned()));
    }
}
