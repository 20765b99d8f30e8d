export class MemoryStore {}; export interface MemoryStoreOptions {}
