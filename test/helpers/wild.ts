/**
 * Configs from other projects (alignment-handbook, axolotl, LLaMA-Factory, TRL), kept beside
 * the repository in the team's ../shared/fixtures rather than redistributed in it. A clone on its
 * own has no such folder: the tests that read it are skipped, each saying why.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./cli.js";

export const WILD = path.resolve(ROOT, "..", "shared", "fixtures", "recipes-in-the-wild");
export const HAS_WILD = existsSync(WILD);

/** A node:test option: `describe(name, needsWild, fn)`. */
export const needsWild: { skip?: string } = HAS_WILD
  ? {}
  : {
      skip: `needs ${path.relative(ROOT, WILD)}/ beside the clone (configs from other projects, not shipped in this repository)`,
    };
