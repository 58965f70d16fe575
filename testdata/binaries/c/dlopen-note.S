/* A .note.dlopen note (https://systemd.io/ELF_DLOPEN_METADATA/): owner "FDO", type 0x407c0c0a,
   a JSON array padded with NULs to 4 bytes. */
        .section .note.dlopen,"a",%note
        .balign 4
        .long 4                 /* namesz: "FDO\0" */
        .long 2f - 1f           /* descsz */
        .long 0x407c0c0a        /* type */
        .asciz "FDO"
1:      .asciz "[{\"feature\":\"compression\",\"description\":\"zlib support\",\"priority\":\"suggested\",\"soname\":[\"libz.so.1\"]}]"
2:      .balign 4
        .section .note.GNU-stack,"",%progbits
