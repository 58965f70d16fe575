/* A small program that uses a stack buffer and fortifiable calls, so that hardening flags show. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    char buf[32];
    strncpy(buf, argc > 1 ? argv[1] : "world", sizeof buf - 1);
    buf[sizeof buf - 1] = '\0';
    printf("hello, %s\n", buf);
    return 0;
}
