// Detectors that another branch provides, looked up when an experiment runs: an experiment whose
// detector this build lacks reports "not available in this build" instead of breaking the
// others (and the type check) at import time.
import type { Detector } from '../../models/detectors/detector.ts';
import type { TabularInput } from '../../models/detectors/matrix.ts';
import { DetectorUnavailable } from './run.ts';

type DetectorClass = new (opts: Record<string, unknown>) => Detector<TabularInput>;

/** The class `className` exported by ts/models/detectors/<module>.ts (dist/…/.js once built). */
export async function optionalDetector(module: string, className: string): Promise<DetectorClass> {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const url = new URL(`../../models/detectors/${module}${ext}`, import.meta.url);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url.href)) as Record<string, unknown>;
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes(`${module}${ext}`)) {
      throw new DetectorUnavailable(`${className} is not available in this build (no ts/models/detectors/${module}${ext})`);
    }
    throw err;
  }
  const cls = mod[className];
  if (typeof cls !== 'function') throw new DetectorUnavailable(`${className} is not available in this build (${module}${ext} does not export it)`);
  return cls as DetectorClass;
}
