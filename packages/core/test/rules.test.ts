import { describe, expect, it } from "vitest";
import { canPlace, capacityOf, MODE_RULES, usersOf } from "../src/index.js";

const X = "+8617000000001";
const held = (map: Record<string, string[]>) => (u: string) => (map[u] ? new Set(map[u]) : undefined);

describe("mode rules", () => {
  it("AXB: a pair occupies both numbers; at most the capacity, 5000 by default", () => {
    expect(usersOf("AXB", "+861", "+862")).toEqual(["+861", "+862"]);
    expect(capacityOf("AXB", undefined)).toBe(5000);
    expect(capacityOf("AXB", 300)).toBe(300);
    expect(canPlace("AXB", { x: X, load: 299, capacity: 300 }, ["+861", "+862"], held({}))).toBe(true);
    expect(canPlace("AXB", { x: X, load: 300, capacity: 300 }, ["+861", "+862"], held({}))).toBe(false);
  });

  it("AXB: a user number appears at most once per X", () => {
    const users = ["+861", "+862"];
    expect(canPlace("AXB", { x: X, load: 1, capacity: 5000 }, users, held({ "+862": [X] }))).toBe(false);
    expect(
      canPlace("AXB", { x: X, load: 1, capacity: 5000 }, users, held({ "+862": ["+8617000000002"] })),
    ).toBe(true);
  });

  it("AX: one A per X (capacity 1, not configurable) and at most 5 X per A", () => {
    expect(usersOf("AX", "+861", "+862")).toEqual(["+861"]);
    expect(capacityOf("AX", 50)).toBe(1);
    expect(MODE_RULES.AX.maxXPerUser).toBe(5);
    const four = ["+8617000000002", "+8617000000003", "+8617000000004", "+8617000000005"];
    expect(canPlace("AX", { x: X, load: 0, capacity: 1 }, ["+861"], held({ "+861": four }))).toBe(true);
    const five = [...four, "+8617000000006"];
    expect(canPlace("AX", { x: X, load: 0, capacity: 1 }, ["+861"], held({ "+861": five }))).toBe(false);
    expect(canPlace("AX", { x: X, load: 1, capacity: 1 }, ["+869"], held({}))).toBe(false);
  });
});
