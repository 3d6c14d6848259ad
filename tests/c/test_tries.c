/* C-level tests of the subscription tries (trie.c, mtrie.c over radix.c):
 * random operations checked against a plain list of subscriptions, with
 * the tree's shape checked after each step, and topics up to 64 KiB deep
 * (run under ASan/UBSan by tests/test_c_tries.py). Usage: test_tries
 * trie|mtrie|long; exit 0 = pass. */
#include "sockets/mtrie.h"
#include "sockets/trie.h"

#include <stdio.h>

/* as harness.h's, which also brings loop helpers this file does not use */
#define CHECK(x) \
    do { \
        if (!(x)) { \
            fprintf(stderr, "CHECK failed: %s at %s:%d\n", #x, __FILE__, __LINE__); \
            exit(1); \
        } \
    } while (0)

/* ---- a tiny deterministic generator -------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

/* Topics over a 3-letter alphabet, 0..6 bytes: plenty of shared prefixes,
 * splits and merges. */
#define MAXT 7
typedef struct topic {
    unsigned char b[MAXT];
    size_t n;
} topic;

static topic random_topic(void)
{
    topic t;
    t.n = rnd(MAXT);
    for (size_t i = 0; i < t.n; i++) t.b[i] = (unsigned char)('a' + rnd(3));
    return t;
}

/* Every topic has its own number: the models are arrays indexed by it. */
#define NT 1093 /* 3^0 + 3^1 + ... + 3^6 */

static int topic_id(const unsigned char *b, size_t n)
{
    int id = 0, base = 0, pow = 1;
    for (size_t i = 0; i < n; i++) {
        CHECK(b[i] >= 'a' && b[i] <= 'c');
        id = id * 3 + (b[i] - 'a');
        base += pow;
        pow *= 3;
    }
    return base + id;
}

/* What a walk reported: how many times each topic. */
typedef struct seen {
    int times[NT];
    int n;
} seen;

static void collect(const unsigned char *p, size_t n, void *arg)
{
    seen *s = arg;
    CHECK(n < MAXT);
    s->times[topic_id(p, n)]++;
    s->n++;
}

/* ---- the tree's own invariants -------------------------------------------- */

static size_t check_shape(sli_radix *r)
{
    /* iterative, like the code under test: parent pointers and a cursor */
    size_t holding = 0;
    sli_rnode *n = &r->root;
    CHECK(n->keylen == 0 && n->parent == NULL);
    int next = 0;
    for (;;) {
        if (next < n->nkids) {
            sli_rnode *c = n->kids[next];
            CHECK(c->parent == n);
            CHECK(c->keylen >= 1);
            if (next > 0) CHECK(n->kids[next - 1]->key[0] < c->key[0]);
            /* compact: outside the root, a node holds something or branches */
            CHECK(c->count > 0 || c->nkids >= 2);
            if (c->count) holding++;
            n = c;
            next = 0;
            continue;
        }
        if (n == &r->root) break;
        sli_rnode *p = n->parent;
        int i = 0;
        while (p->kids[i] != n) i++;
        n = p;
        next = i + 1;
    }
    if (r->root.count) holding++;
    return holding;
}

/* ---- trie ------------------------------------------------------------------ */

static int test_trie(void)
{
    sli_trie t;
    sli_trie_init(&t);
    static int refs[NT];
    size_t live = 0;
    for (int step = 0; step < 200000; step++) {
        topic k = random_topic();
        int id = topic_id(k.b, k.n);
        switch (rnd(3)) {
        case 0:
            CHECK(sli_trie_add(&t, k.b, k.n) == (refs[id] == 0 ? 1 : 0));
            live += refs[id]++ == 0;
            break;
        case 1:
            CHECK(sli_trie_rm(&t, k.b, k.n) == (refs[id] == 1));
            if (refs[id] > 0) live -= --refs[id] == 0;
            break;
        default: {
            bool expect = false;
            for (size_t n = 0; n <= k.n; n++) expect |= refs[topic_id(k.b, n)] > 0;
            CHECK(sli_trie_check(&t, k.b, k.n) == expect);
        }
        }
        CHECK(sli_trie_num_prefixes(&t) == live);
        CHECK(check_shape(&t.tree) == live);
        if (step % 100 == 0) {
            static seen s;
            memset(&s, 0, sizeof s);
            sli_trie_apply(&t, collect, &s);
            for (int i = 0; i < NT; i++) CHECK(s.times[i] == (refs[i] > 0));
        }
    }
    sli_trie_fini(&t);
    printf("trie: 200000 random operations agree with the model\n");
    return 0;
}

/* ---- mtrie ----------------------------------------------------------------- */

#define NP 6

static sli_pipe *pipes;

static int pipe_no(sli_pipe *p)
{
    CHECK(p >= pipes && p < pipes + NP);
    return (int)(p - pipes);
}

typedef struct hits {
    int per_pipe[NP];
} hits;

static void count_hit(sli_pipe *p, void *arg) { ((hits *)arg)->per_pipe[pipe_no(p)]++; }

static int test_mtrie(void)
{
    pipes = calloc(NP, sizeof *pipes);
    CHECK(pipes);
    sli_mtrie t;
    sli_mtrie_init(&t);
    static bool sub[NT][NP];
    static int count[NT];
    size_t live = 0;
    for (int step = 0; step < 200000; step++) {
        topic k = random_topic();
        int id = topic_id(k.b, k.n);
        int pn = (int)rnd(NP);
        sli_pipe *p = &pipes[pn];
        switch (rnd(8)) {
        case 0: case 1: case 2:
            CHECK(sli_mtrie_add(&t, k.b, k.n, p) == (count[id] == 0 ? 1 : 0));
            if (!sub[id][pn]) {
                sub[id][pn] = true;
                live += count[id]++ == 0;
            }
            break;
        case 3: case 4: {
            int rc = sli_mtrie_rm(&t, k.b, k.n, p);
            if (!sub[id][pn]) {
                CHECK(rc == SLI_MTRIE_NOT_FOUND);
                break;
            }
            CHECK(rc == (count[id] == 1 ? SLI_MTRIE_LAST_REMOVED : SLI_MTRIE_VALUES_REMAIN));
            sub[id][pn] = false;
            live -= --count[id] == 0;
            break;
        }
        case 5: {
            /* a pipe goes: each prefix it alone held is reported once (or,
             * not only_last, each prefix it had) */
            bool only_last = rnd(2) == 0;
            static seen s;
            memset(&s, 0, sizeof s);
            sli_mtrie_rm_pipe(&t, p, collect, &s, only_last);
            for (int i = 0; i < NT; i++) {
                bool reported = sub[i][pn] && (!only_last || count[i] == 1);
                CHECK(s.times[i] == (reported ? 1 : 0));
                if (sub[i][pn]) {
                    sub[i][pn] = false;
                    live -= --count[i] == 0;
                }
            }
            break;
        }
        default: {
            hits h;
            memset(&h, 0, sizeof h);
            sli_mtrie_match(&t, k.b, k.n, count_hit, &h);
            for (int q = 0; q < NP; q++) {
                int expect = 0;
                for (size_t n = 0; n <= k.n; n++) expect += sub[topic_id(k.b, n)][q];
                CHECK(h.per_pipe[q] == expect);
            }
        }
        }
        CHECK(sli_mtrie_num_prefixes(&t) == live);
        CHECK(check_shape(&t.tree) == live);
    }
    sli_mtrie_fini(&t);
    free(pipes);
    printf("mtrie: 200000 random operations agree with the model\n");
    return 0;
}

/* ---- long topics ------------------------------------------------------------ */

#define LONG 65536

static void count_prefix(const unsigned char *p, size_t n, void *arg)
{
    SLI_UNUSED(p);
    SLI_UNUSED(n);
    (*(int *)arg)++;
}

static void count_pipe(sli_pipe *p, void *arg)
{
    SLI_UNUSED(p);
    (*(int *)arg)++;
}

static int test_long(void)
{
    unsigned char *big = malloc(LONG);
    CHECK(big);
    for (size_t i = 0; i < LONG; i++) big[i] = (unsigned char)('a' + i % 2);
    /* A chain of nested prefixes, every 64th length up to 64 KiB: a
     * byte-per-node trie would be 64 Ki nodes deep here. */
    sli_trie t;
    sli_trie_init(&t);
    int added = 0;
    for (size_t n = LONG; n > 0; n -= 64) {
        CHECK(sli_trie_add(&t, big, n) == 1);
        added++;
    }
    CHECK(sli_trie_check(&t, big, LONG));
    CHECK(!sli_trie_check(&t, big, 63));
    big[100] ^= 1;
    CHECK(sli_trie_check(&t, big, LONG)); /* "…" of length 64 still matches */
    big[10] ^= 1;
    CHECK(!sli_trie_check(&t, big, LONG));
    big[10] ^= 1;
    big[100] ^= 1;
    int n = 0;
    sli_trie_apply(&t, count_prefix, &n);
    CHECK(n == added);
    for (size_t k = 64; k <= LONG; k += 128) CHECK(sli_trie_rm(&t, big, k));
    CHECK(check_shape(&t.tree) == (size_t)added / 2);
    sli_trie_fini(&t);

    /* The same chain in an mtrie, two pipes, then one pipe goes at once. */
    sli_pipe *two = calloc(2, sizeof *two);
    CHECK(two);
    sli_mtrie mt;
    sli_mtrie_init(&mt);
    for (size_t k = 64; k <= LONG; k += 64) {
        CHECK(sli_mtrie_add(&mt, big, k, &two[0]) == 1);
        if (k % 128 == 0) CHECK(sli_mtrie_add(&mt, big, k, &two[1]) == 0);
    }
    int matched = 0;
    sli_mtrie_match(&mt, big, LONG, count_pipe, &matched);
    CHECK(matched == added + added / 2);
    int gone = 0;
    sli_mtrie_rm_pipe(&mt, &two[0], count_prefix, &gone, true);
    CHECK(gone == added / 2);
    CHECK(check_shape(&mt.tree) == (size_t)added / 2);
    sli_mtrie_rm_pipe(&mt, &two[1], NULL, NULL, true);
    CHECK(check_shape(&mt.tree) == 0 && mt.tree.root.nkids == 0);
    sli_mtrie_fini(&mt);
    free(two);
    free(big);
    printf("long: %d nested topics up to %d bytes\n", added, LONG);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc < 2) {
        fprintf(stderr, "usage: %s trie|mtrie|long\n", argv[0]);
        return 2;
    }
    if (strcmp(argv[1], "trie") == 0) return test_trie();
    if (strcmp(argv[1], "mtrie") == 0) return test_mtrie();
    if (strcmp(argv[1], "long") == 0) return test_long();
    fprintf(stderr, "unknown test %s\n", argv[1]);
    return 2;
}
