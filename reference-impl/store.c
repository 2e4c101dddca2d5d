/*
 * The parts of the storage interface (store.h) that belong to no one store:
 * freeing a catalogue and naming an inspection status. Both stores and the
 * API use them.
 */
#include "store.h"

#include <stdlib.h>

void bookd_catalog_free(bookd_catalog *catalog)
{
    for (size_t i = 0; i < catalog->company_count; i++) {
        free(catalog->companies[i].inspectors);
        free(catalog->companies[i].services);
    }
    free(catalog->companies);
    catalog->companies = NULL;
    catalog->company_count = 0;
}

const char *bookd_inspection_status_name(bookd_inspection_status status)
{
    return status == BOOKD_STATUS_CANCELLED ? "cancelled" : "scheduled";
}
