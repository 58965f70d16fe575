/* 600 SystemTap probe notes (owner "stapsdt", type 3, as every OpenJDK libjvm.so carries ~532),
   then the systemd package note (owner "FDO", type 0xcafe1a7e), all in one allocated note
   section: one PT_NOTE segment holds them in that order, so the package note is note 601. */
        .section .note.package,"a",%note
        .balign 4
        .rept 600
        .long 8                 /* namesz: "stapsdt\0" */
        .long 4f - 3f           /* descsz */
        .long 3                 /* type: NT_STAPSDT */
        .asciz "stapsdt"
3:      .quad 0, 0, 0           /* pc, base, semaphore */
        .asciz "hotspot"
        .asciz "class__loaded"
        .asciz "8@%rax -4@%edx"
4:      .balign 4
        .endr
        .long 4                 /* namesz: "FDO\0" */
        .long 6f - 5f           /* descsz */
        .long 0xcafe1a7e        /* type: NT_FDO_PACKAGING_METADATA */
        .asciz "FDO"
5:      .asciz "{\"type\":\"deb\",\"os\":\"debian\",\"name\":\"many-notes\",\"version\":\"1.0-1\",\"architecture\":\"amd64\"}"
6:      .balign 4
        .section .note.GNU-stack,"",%progbits
