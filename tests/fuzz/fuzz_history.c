/* The history reader on arbitrary bytes (plain or zstd): every record or a clear error, never a crash. */
#include "history.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    br_history_reader *r = br_history_reader_mem(data, size, "fuzz.jsonl");
    br_history_record rec;
    char err[512];
    for (int i = 0; i < 100000 && br_history_next(r, &rec, err, sizeof(err)) == 1; i++)
        ;
    br_history_reader_close(r);
    return 0;
}
