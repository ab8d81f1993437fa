package cgroups

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The spec's resources are cgroup v1 values. These functions turn them into
// what cgroup v2 files take, with runc's formulas, so a container gets the
// same v2 settings from either runtime.

// cpuSharesToWeight maps cpu.shares [2, 262144] onto cpu.weight [1, 10000]
// with the curve runc uses since 1.3.2 (and crun since 1.23): it keeps the
// minimum, the maximum and the default (1024 -> 100) in place, which the
// older linear formula did not (it turned 1024 into 39). 0 means unset.
func cpuSharesToWeight(shares uint64) uint64 {
	switch {
	case shares == 0:
		return 0
	case shares <= 2:
		return 1
	case shares >= 262144:
		return 10000
	}
	l := math.Log2(float64(shares))
	exp := (l*l+125*l)/612.0 - 7.0/34.0
	return uint64(math.Ceil(math.Pow(10, exp)))
}

// blkioWeightToIOWeight maps blkio.weight [10, 1000] linearly onto io.weight
// [1, 10000].
func blkioWeightToIOWeight(w uint16) (uint64, error) {
	if w < 10 || w > 1000 {
		return 0, fmt.Errorf("weight %d is outside [10, 1000]", w)
	}
	return 1 + (uint64(w)-10)*9999/990, nil
}

// memoryValue formats a spec memory value (bytes, -1 unlimited) for v2.
func memoryValue(v int64) string {
	if v == -1 {
		return "max"
	}
	return strconv.FormatInt(v, 10)
}

// memorySwapV2 turns the spec's memory.swap (a memory+swap limit) into
// memory.swap.max (swap alone). 0 and nil are "unset", as in runc. ok is
// false when memory.swap.max is to be left alone.
func memorySwapV2(swapp, limitp *int64) (value string, ok bool, err error) {
	swap, limit := deref(swapp), deref(limitp)
	switch {
	case swap == 0:
		if limit == -1 {
			// "Unlimited memory" with swap left out means unlimited
			// memory+swap, as on v1.
			return "max", true, nil
		}
		return "", false, nil
	case swap == -1:
		return "max", true, nil
	case swap < -1:
		return "", false, fmt.Errorf("linux.resources.memory.swap %d is not a limit (use -1 for unlimited)", swap)
	case limit == 0:
		return "", false, errors.New("linux.resources.memory.swap needs memory.limit on cgroup v2: swap is limited separately there, as swap minus limit")
	case limit == -1:
		// No memory limit to subtract: take swap as the swap limit.
		return strconv.FormatInt(swap, 10), true, nil
	case limit < -1:
		return "", false, fmt.Errorf("linux.resources.memory.limit %d is not a limit (use -1 for unlimited)", limit)
	case swap < limit:
		return "", false, fmt.Errorf("linux.resources.memory.swap %d is less than memory.limit %d (swap is memory+swap)", swap, limit)
	}
	return strconv.FormatInt(swap-limit, 10), true, nil
}

// cpuMax builds cpu.max ("$QUOTA $PERIOD", "max $PERIOD" or just "$QUOTA")
// from the spec's quota and period. cur is the file's present content, used
// when only the period changes (the file cannot take a period alone, and
// writing "max $PERIOD" would drop an existing quota).
func cpuMax(quotap *int64, periodp *uint64, cur string) (string, bool) {
	quota, period := deref(quotap), deref(periodp)
	if quota == 0 && period == 0 {
		return "", false
	}
	q := ""
	switch {
	case quota < 0:
		q = "max"
	case quota > 0:
		q = strconv.FormatInt(quota, 10)
	default:
		f := strings.Fields(cur)
		if len(f) == 0 {
			q = "max"
		} else {
			q = f[0]
		}
	}
	if period == 0 {
		return q, true
	}
	return q + " " + strconv.FormatUint(period, 10), true
}

// throttleRateV2 formats an io.max rate. On v1 a rate of 0 removes the
// limit; io.max says that with "max".
func throttleRateV2(rate uint64) string {
	if rate == 0 {
		return "max"
	}
	return strconv.FormatUint(rate, 10)
}

type number interface {
	~int64 | ~uint64 | ~uint32 | ~uint16
}

func deref[T number](p *T) T {
	if p == nil {
		return 0
	}
	return *p
}
