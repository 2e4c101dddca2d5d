/* bookrace merge: one load result from the results of several load generators (merge.h does the merging). */
#ifndef BR_CMD_MERGE_H
#define BR_CMD_MERGE_H

/*
 * Runs `bookrace merge A.json B.json ... -o merged.json` (argv as given to
 * bookrace). Exit 0 when merged and the oracle found nothing, 1 when it found
 * a violation, 2 for bad usage or an input it cannot merge.
 */
int br_merge_main(int argc, char **argv);

#endif
