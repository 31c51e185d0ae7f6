/** The errors a user can fix in `trellis import` and `trellis export`: one message, exit code 2. */
import { ImportError } from "../core/interop/import/index.js";
import { RecipeError } from "../core/recipe/errors.js";

export const USAGE = 2;

/** Runs a command body, turning the errors a user can fix into one message and exit code 2. */
export async function guarded(body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof ImportError || err instanceof RecipeError) {
      process.stderr.write(`${err.message}\n`);
      return USAGE;
    }
    throw err;
  }
}
