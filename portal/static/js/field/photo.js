// A photo from the camera input, made ready to keep offline: downscaled to at most 1600 px on its longer side,
// re-encoded as JPEG (which also drops the camera's metadata), and its SHA-256 so the server can confirm it.

const MAX_SIDE = 1600;
const QUALITY = 0.8;

async function toJpeg(file) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  let blob;
  if (typeof OffscreenCanvas !== "undefined") {
    const canvas = new OffscreenCanvas(width, height);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, width, height);
    blob = await canvas.convertToBlob({ type: "image/jpeg", quality: QUALITY });
  } else {
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    canvas.getContext("2d").drawImage(bitmap, 0, 0, width, height);
    blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
  }
  bitmap.close?.();
  return { blob, width, height };
}

export async function sha256Hex(blob) {
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export async function preparePhoto(file, orderId) {
  const { blob, width, height } = await toJpeg(file);
  return { id: crypto.randomUUID(), order_id: orderId, blob, sha256: await sha256Hex(blob), width, height,
           size: blob.size, taken_at: new Date().toISOString() };
}
