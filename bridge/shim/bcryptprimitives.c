/*
 * A stand-in for bcryptprimitives.dll, placed next to the bridge exe.
 *
 * Rust's standard library (1.78 and later) imports ProcessPrng from
 * bcryptprimitives.dll. Wine before 8.13, including Debian 12's Wine 8.0 and
 * Proton 8 and older, has no such DLL, so any Rust exe exits with code 53
 * before main. This DLL provides the one function, on top of bcrypt.dll,
 * which every Wine has. Windows searches the application directory first, so
 * the game's prefix is never touched.
 */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
