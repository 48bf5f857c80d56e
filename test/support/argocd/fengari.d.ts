// The few entry points of fengari (a Lua 5.3 VM in JavaScript; it ships no types) that lua.ts uses.
declare module 'fengari' {
  export type LuaState = { readonly __luaState: unique symbol };
  type Opener = (L: LuaState) => number;
  const fengari: {
    to_luastring(s: string): Uint8Array;
    lua: {
      LUA_OK: number;
      LUA_TNIL: number;
      LUA_TTABLE: number;
      LUA_TSTRING: number;
      lua_pushnil(L: LuaState): void;
      lua_pushboolean(L: LuaState, b: boolean): void;
      lua_pushnumber(L: LuaState, n: number): void;
      lua_pushstring(L: LuaState, s: Uint8Array): void;
      lua_createtable(L: LuaState, narr: number, nrec: number): void;
      lua_rawseti(L: LuaState, index: number, i: number): void;
      lua_setfield(L: LuaState, index: number, k: Uint8Array): void;
      lua_getfield(L: LuaState, index: number, k: Uint8Array): number;
      lua_setglobal(L: LuaState, name: Uint8Array): void;
      lua_pcall(L: LuaState, nargs: number, nresults: number, msgh: number): number;
      lua_type(L: LuaState, index: number): number;
      lua_tojsstring(L: LuaState, index: number): string;
      lua_pop(L: LuaState, n: number): void;
      lua_settop(L: LuaState, index: number): void;
    };
    lauxlib: {
      luaL_newstate(): LuaState;
      luaL_loadstring(L: LuaState, s: Uint8Array): number;
      luaL_requiref(L: LuaState, name: Uint8Array, open: Opener, global: number): void;
    };
    lualib: {
      luaopen_base: Opener;
      luaopen_table: Opener;
      luaopen_string: Opener;
      luaopen_math: Opener;
      luaopen_coroutine: Opener;
    };
  };
  export default fengari;
}
