"""Draw the app icons (a water drop on the brand colour) with Pillow: run once when the design changes."""

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "portal" / "static" / "icons"
BRAND = (11, 79, 108)


def drop(size: int, padding: float) -> Image.Image:
    image = Image.new("RGB", (size, size), BRAND)
    draw = ImageDraw.Draw(image)
    s = size * (1 - 2 * padding)
    cx, top = size / 2, size * padding
    r = s * 0.32
    cy = top + s - r - s * 0.06
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill="white")
    draw.polygon([(cx, top + s * 0.06), (cx - r * 0.93, cy - r * 0.35), (cx + r * 0.93, cy - r * 0.35)], fill="white")
    return image


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    drop(192, 0.12).save(OUT / "icon-192.png", optimize=True)
    drop(512, 0.12).save(OUT / "icon-512.png", optimize=True)
    drop(512, 0.22).save(OUT / "icon-maskable-512.png", optimize=True)
    (OUT / "icon.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">'
        '<rect width="100" height="100" rx="18" fill="#0b4f6c"/>'
        '<path d="M50 14 C38 34 26 46 26 62 a24 24 0 0 0 48 0 C74 46 62 34 50 14z" fill="#fff"/></svg>\n'
    )


if __name__ == "__main__":
    main()
