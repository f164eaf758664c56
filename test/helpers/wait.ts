/**
 * Waiting in tests: for a condition, never for a fixed time (the suite runs on a loaded 2-core machine). `seconds` is
 * only how long a condition that never comes may take to fail the test; a met condition returns at once.
 */
export async function until(what: string, check: () => boolean | Promise<boolean>, seconds = 60): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${seconds} s waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Like until, with the value that met the condition. */
export async function valueWhen<T>(
  what: string,
  get: () => T | Promise<T>,
  ok: (value: T) => boolean,
  seconds = 60,
): Promise<T> {
  let value!: T;
  await until(
    what,
    async () => {
      value = await get();
      return ok(value);
    },
    seconds,
  );
  return value;
}
