// Shows the desktop's board calibration (cam-calibration): a line of text and the board's rings
// drawn over the preview through H, which maps board millimetres to image pixels (PROTOCOL.md).

// Outer double wire, inner double wire, treble wires, outer bull (mm).
const RINGS_MM = [170, 162, 107, 99, 15.9];

/** One line for the user, e.g. "Board found (error 0.8 px)". */
export function describeCalibration(cal) {
  const parts = [];
  if (typeof cal.errorMm === "number") parts.push(`error ${cal.errorMm.toFixed(1)} mm`);
  if (typeof cal.errorPx === "number") parts.push(`error ${cal.errorPx.toFixed(1)} px`);
  return parts.length ? `Board found (${parts.join(", ")})` : "Board found";
}

function project(h, x, y) {
  const w = h[6] * x + h[7] * y + h[8];
  return [(h[0] * x + h[1] * y + h[2]) / w, (h[3] * x + h[4] * y + h[5]) / w];
}

/** Draws the rings of `cal` on `canvas`, which covers `video` (object-fit: contain). */
export function drawCalibration(canvas, video, cal) {
  const rect = canvas.getBoundingClientRect();
  canvas.width = Math.round(rect.width * devicePixelRatio);
  canvas.height = Math.round(rect.height * devicePixelRatio);
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const h = cal && cal.H;
  if (!Array.isArray(h) || h.length !== 9) return;
  const imgW = (cal.imageSize && cal.imageSize.w) || video.videoWidth;
  const imgH = (cal.imageSize && cal.imageSize.h) || video.videoHeight;
  if (!imgW || !imgH) return;
  // The same letterboxing as object-fit: contain.
  const scale = Math.min(canvas.width / imgW, canvas.height / imgH);
  const dx = (canvas.width - imgW * scale) / 2;
  const dy = (canvas.height - imgH * scale) / 2;
  ctx.strokeStyle = "rgba(52, 168, 83, 0.9)";
  ctx.lineWidth = 2 * devicePixelRatio;
  for (const r of RINGS_MM) {
    ctx.beginPath();
    for (let i = 0; i <= 72; i++) {
      const a = (i / 72) * 2 * Math.PI;
      const [px, py] = project(h, r * Math.cos(a), r * Math.sin(a));
      const x = dx + px * scale;
      const y = dy + py * scale;
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
    ctx.stroke();
  }
}
