/** The message of anything thrown: an Error's own message, else the thrown value as text (a string, a number…).
    One helper instead of `(e as Error).message`, which reads undefined when the value thrown is not an Error. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
