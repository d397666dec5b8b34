/* Preloaded in the sanitizer runs only (linked into build/asan's copy of the
 * syslog shim): keeps dlclose() from unloading PAM modules, so that a leak
 * LeakSanitizer finds at exit still has pam_memcg.so's symbols to name. */
#include <dlfcn.h>

int
dlclose(void *handle)
{
	(void)handle;
	return 0;
}
