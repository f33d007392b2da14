import { checkCases, fill } from "./_history_query_cases.ts";
import { MemoryStore } from "./history_store.ts";

Deno.test("queryHistory() on a MemoryStore: before, after, latest, around, between, by id and time", async () => {
  const store = new MemoryStore();
  fill(store);
  await checkCases(store);
});
