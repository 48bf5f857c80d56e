// Runs an Argo CD Lua health script on a real Lua VM (fengari; Argo CD uses gopher-lua), the way argo-cd
// util/lua/lua.go does: only the safe libraries (base, table, string, math, coroutine), the live object as the global
// `obj` (JSON decoded into tables, arrays 1-based), and a table {status, message} back.

import fengari, { type LuaState } from 'fengari';
import type { KubeObject } from '../../../src/cluster/types.js';
import type { Health, HealthCode } from './health.js';

// eslint-disable-next-line @typescript-eslint/unbound-method -- fengari's namespaces are plain objects of free functions
const { lua, lauxlib, lualib, to_luastring } = fengari;

const codes: readonly HealthCode[] = ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown'];

/** Pushes a JSON value as Lua values, as Argo CD's decodeValue does. */
function push(L: LuaState, value: unknown): void {
  if (value === null || value === undefined) lua.lua_pushnil(L);
  else if (typeof value === 'boolean') lua.lua_pushboolean(L, value);
  else if (typeof value === 'number') lua.lua_pushnumber(L, value);
  else if (typeof value === 'string') lua.lua_pushstring(L, to_luastring(value));
  else if (Array.isArray(value)) {
    lua.lua_createtable(L, value.length, 0);
    value.forEach((item, i) => {
      push(L, item);
      lua.lua_rawseti(L, -2, i + 1);
    });
  } else {
    const entries = Object.entries(value as Record<string, unknown>);
    lua.lua_createtable(L, 0, entries.length);
    for (const [key, item] of entries) {
      push(L, item);
      lua.lua_setfield(L, -2, to_luastring(key));
    }
  }
}

/** A string field of the table on top of the stack, or undefined. */
function field(L: LuaState, name: string): string | undefined {
  const type = lua.lua_getfield(L, -1, to_luastring(name));
  const value = type === lua.LUA_TSTRING ? lua.lua_tojsstring(L, -1) : undefined;
  lua.lua_pop(L, 1);
  return value;
}

/** Runs `script` on `object`; a script error or an unknown status is Argo CD's Unknown with the error as message. */
export function runLuaHealth(script: string, object: KubeObject): Health {
  const L = lauxlib.luaL_newstate();
  const libraries: Array<[string, (L: LuaState) => number]> = [
    ['_G', lualib.luaopen_base],
    ['table', lualib.luaopen_table],
    ['string', lualib.luaopen_string],
    ['math', lualib.luaopen_math],
    ['coroutine', lualib.luaopen_coroutine],
  ];
  for (const [name, open] of libraries) {
    lauxlib.luaL_requiref(L, to_luastring(name), open, 1);
    lua.lua_pop(L, 1);
  }
  push(L, object);
  lua.lua_setglobal(L, to_luastring('obj'));
  if (lauxlib.luaL_loadstring(L, to_luastring(script)) !== lua.LUA_OK || lua.lua_pcall(L, 0, 1, 0) !== lua.LUA_OK) {
    return { status: 'Unknown', message: lua.lua_tojsstring(L, -1) };
  }
  if (lua.lua_type(L, -1) !== lua.LUA_TTABLE) return { status: 'Unknown', message: 'the health script did not return a table' };
  const status = field(L, 'status');
  const message = field(L, 'message');
  if (!codes.includes(status as HealthCode)) return { status: 'Unknown', message: `the health script returned status ${JSON.stringify(status)}` };
  return message === undefined || message === '' ? { status: status as HealthCode } : { status: status as HealthCode, message };
}
