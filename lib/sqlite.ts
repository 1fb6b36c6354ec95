// better-sqlite3, the one this Node.js can run safely. On Node 24 (the devices' runtime) version 12 aborts the
// process now and then: Node 24's ObjectWrap removes an environment cleanup hook in its destructor, and a Statement
// collected by the garbage collector outside any context hits `RemoveEnvironmentCleanupHook: (env) != nullptr`
// (seen in our Node 24 runs; WiseLibs/better-sqlite3#1515). Version 13 is built on Node-API and has no such
// destructor, but needs Node 22 or later (on Node 20 it crashes on load). So both are installed: 13 under the name
// better-sqlite3-node22 (with its own prebuilt binaries), taken on Node 22 and later; 12 on Node 20. Same API.
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

const require = createRequire(import.meta.url);
const major = Number(process.versions.node.split('.')[0]);

function load(): { Database: typeof BetterSqlite3; driver: string } {
  if (major >= 22) {
    try {
      return { Database: require('better-sqlite3-node22') as typeof BetterSqlite3, driver: 'better-sqlite3 13 (Node-API)' };
    } catch (e) {
      // a platform without one of its prebuilt binaries (32-bit ARM): version 12, with the abort risk said once
      process.emitWarning(`better-sqlite3 13 cannot load here (${(e as Error).message.split('\n')[0]}); using 12, which can abort the process on Node ${major}: reinstall with "npm ci" on this machine`);
    }
  }
  return { Database: require('better-sqlite3') as typeof BetterSqlite3, driver: 'better-sqlite3 12' };
}

const loaded = load();
/** The Database class of the better-sqlite3 this process uses. */
export const Database = loaded.Database;
export type Database = BetterSqlite3.Database;
/** Which one, for logs and chot doctor. */
export const sqliteDriver = loaded.driver;
