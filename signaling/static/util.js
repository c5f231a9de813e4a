// Helpers shared by the phone page's modules: waiting, back-off, named errors, and the queue that
// runs the page's steps one at a time.

const BACKOFF_MS = [250, 500, 1000, 2000, 4000];

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How long to wait before retry number `attempt` (0-based): longer each time, up to the last step. */
export function backOffMs(attempt) {
  return BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)];
}

/** Waits before retry number `attempt` (0-based). */
export function backOff(attempt) {
  return sleep(backOffMs(attempt));
}

/** An Error whose `name` is a protocol error name (cam-error's `code`). */
export function namedError(name, message) {
  const err = new Error(message);
  err.name = name;
  return err;
}

/**
 * A queue of steps that run one at a time, in order; a step that throws is handed to `onError` and
 * the queue goes on. Returns `run(step)`, which resolves when that step is done.
 */
export function serialQueue(onError) {
  let work = Promise.resolve();
  return (step) => {
    work = work.then(step).catch(onError);
    return work;
  };
}
