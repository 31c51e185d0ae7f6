/** Reads python/extras/ (extras.json and one `<name>.lock` per installable extra) into the pure core's terms. */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ExtrasCatalog, normalizeName, type Extra, type PackageUniverse } from "../core/env/extras.js";
import { LOCK_FILE, PYTHON_DIR } from "./package-files.js";
import { parsePins } from "./venv/requirements-lock.js";

const EXTRAS_DIR = path.join(PYTHON_DIR, "extras");
const CATALOG_FILE = "extras.json";

const extraLockFile = (name: string, dir = EXTRAS_DIR) => path.join(dir, `${name}.lock`);

/** Every extra with its lock (when the platform has one), and the base lock's packages. Read fresh each call: small files. */
export function readPackageUniverse(lockFile = LOCK_FILE, extrasDir = EXTRAS_DIR): PackageUniverse {
  const catalog = ExtrasCatalog.parse(JSON.parse(readFileSync(path.join(extrasDir, CATALOG_FILE), "utf8")));
  const extras: Extra[] = Object.entries(catalog).map(([name, spec]) => {
    const file = extraLockFile(name, extrasDir);
    if (spec.unavailable !== undefined || !existsSync(file))
      return { name, ...spec, packages: spec.requires.map(normalizeName) };
    const lockText = readFileSync(file, "utf8");
    return { name, ...spec, lockText, packages: parsePins(lockText).map((p) => normalizeName(p.name)) };
  });
  return { base: parsePins(readFileSync(lockFile, "utf8")).map((p) => normalizeName(p.name)), extras };
}
