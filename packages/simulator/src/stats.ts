/** Request counters, so tests can check that nobody exceeded a rate. */
export interface SimulatorStats {
  /** Requests received (every method and path, answered or not). */
  requests: number;
  /**
   * Requests per URL path, e.g. `/rest/caas/relationnumber/partners/v1.0`; paths other than the platform
   * API's (unknown ones, recording files) are counted together under {@link OTHER_PATH}.
   */
  byPath: Record<string, number>;
  /** Requests per `METHOD path`, e.g. `POST /rest/caas/relationnumber/partners/v1.0`. */
  byRoute: Record<string, number>;
  /** Answers per result code (`"0"` for success). */
  byResultCode: Record<string, number>;
  /** Highest number of requests one app key (of a configured app) sent within one wall-clock second. */
  maxPerSecond: Record<string, number>;
  /** Faults injected, by kind (`timeout`, `serverError`, `flowControl`). */
  faults: Record<string, number>;
}

/** The `byPath` key of every path but the platform API's; not a path, so no real path hits it. */
export const OTHER_PATH = "(other)";

interface SecondWindow {
  second: number;
  count: number;
}

/** Counts per app key per wall-clock second; shared by the statistics and the platform rate limit. */
export class RequestCounter {
  private requests = 0;
  private byPath = new Map<string, number>();
  private byRoute = new Map<string, number>();
  private byResultCode = new Map<string, number>();
  private maxPerSecond = new Map<string, number>();
  private faults = new Map<string, number>();
  private windows = new Map<string, SecondWindow>();

  constructor(private readonly wallClockMs: () => number = Date.now) {}

  /** Counts one received request; `path` undefined for a path that is not a platform API's. */
  request(method: string, path: string | undefined): void {
    this.requests++;
    const key = path ?? OTHER_PATH;
    bump(this.byPath, key);
    bump(this.byRoute, `${method} ${key}`);
  }

  /**
   * Counts one request of a configured app key in the current second and returns that second's count so
   * far. Only configured keys: one counter per username a client makes up would grow without bound.
   */
  appRequest(appKey: string): number {
    const second = Math.floor(this.wallClockMs() / 1000);
    let w = this.windows.get(appKey);
    if (!w || w.second !== second) {
      w = { second, count: 0 };
      this.windows.set(appKey, w);
    }
    w.count++;
    if (w.count > (this.maxPerSecond.get(appKey) ?? 0)) this.maxPerSecond.set(appKey, w.count);
    return w.count;
  }

  /** Counts one injected fault. */
  fault(kind: string): void {
    bump(this.faults, kind);
  }

  /** Counts one answer. */
  result(code: string): void {
    bump(this.byResultCode, code);
  }

  snapshot(): SimulatorStats {
    return {
      requests: this.requests,
      byPath: Object.fromEntries(this.byPath),
      byRoute: Object.fromEntries(this.byRoute),
      byResultCode: Object.fromEntries(this.byResultCode),
      maxPerSecond: Object.fromEntries(this.maxPerSecond),
      faults: Object.fromEntries(this.faults),
    };
  }

  reset(): void {
    this.requests = 0;
    this.byPath = new Map();
    this.byRoute = new Map();
    this.byResultCode = new Map();
    this.maxPerSecond = new Map();
    this.faults = new Map();
    this.windows = new Map();
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}
