// The phone's camera: the rear camera at 1280x720 (ideal) up to 1920x1080, 30 fps, no audio; when
// that cannot be had, any camera, and the page says so.

const SIZES = {
  "720p": { width: 1280, height: 720 },
  "1080p": { width: 1920, height: 1080 },
};

/** The video constraints for a target size ("720p" or "1080p"). */
export function videoConstraints(size = "720p") {
  const { width, height } = SIZES[size] || SIZES["720p"];
  return {
    width: { ideal: width, max: 1920 },
    height: { ideal: height, max: 1080 },
    frameRate: { ideal: 30, max: 30 },
  };
}

/**
 * Opens the camera. Resolves with {stream, note}: `note` is null for the rear camera, or says what
 * the page fell back to. Rejects with the browser's error when no camera can be opened at all.
 */
export async function openCamera(size) {
  const sized = videoConstraints(size);
  const attempts = [
    { video: { ...sized, facingMode: { exact: "environment" } }, note: null },
    { video: sized, note: "no rear camera: using another camera" },
    { video: true, note: "the camera cannot do 1280x720 at 30 fps: using what it offers" },
  ];
  let lastError = null;
  for (const { video, note } of attempts) {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: false, video });
      return { stream, note };
    } catch (err) {
      // Only a constraint the camera cannot meet is worth another try; a refusal is final.
      if (err.name !== "OverconstrainedError" && err.name !== "NotFoundError") throw err;
      lastError = err;
    }
  }
  throw lastError;
}

/** What the camera track actually delivers, e.g. "1280x720 @ 30 fps, back camera". */
export function describeTrack(track) {
  const s = track.getSettings();
  const parts = [`${s.width}x${s.height}`];
  if (s.frameRate) parts.push(`@ ${Math.round(s.frameRate)} fps`);
  if (s.facingMode) parts.push(s.facingMode === "environment" ? "rear camera" : `${s.facingMode} camera`);
  return parts.join(" ");
}
