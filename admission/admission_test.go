package admission_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/minicache/minicache/admission"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAcquireInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := admission.New(10)
		n, ok := b.Acquire(context.Background(), 8, time.Second)
		require.True(t, ok)
		require.Equal(t, int64(8), n)

		got := make(chan int64, 2)
		for _, want := range []int64{5, 1} { // 5 waits; 1 would fit but queues behind it
			go func() {
				n, ok := b.Acquire(context.Background(), want, time.Minute)
				assert.True(t, ok)
				got <- n
			}()
			synctest.Wait()
		}
		assert.Empty(t, got, "no waiter overtakes the oldest")
		b.Release(8)
		assert.ElementsMatch(t, []int64{5, 1}, []int64{<-got, <-got})
		assert.Equal(t, int64(6), b.Used())
	})
}

func TestAcquireTimesOutAndCaps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := admission.New(10)
		assert.Equal(t, int64(10), b.Max())
		n, ok := b.Acquire(context.Background(), 100, time.Second)
		require.True(t, ok, "a request larger than the bound runs alone")
		assert.Equal(t, int64(10), n)

		start := time.Now()
		_, ok = b.Acquire(context.Background(), 1, 3*time.Second)
		assert.False(t, ok)
		assert.Equal(t, 3*time.Second, time.Since(start))

		ctx, cancel := context.WithCancel(context.Background())
		go func() { time.Sleep(time.Second); cancel() }()
		_, ok = b.Acquire(ctx, 1, time.Hour)
		assert.False(t, ok, "the request's context ended")

		b.Release(n)
		assert.Equal(t, int64(0), b.Used())
		// A waiter that gave up and stayed queued would make this one wait.
		n, ok = b.Acquire(context.Background(), 10, 0)
		assert.True(t, ok, "waiters that gave up are gone")
		assert.Equal(t, int64(10), n)
	})
}

func TestGiveUpUnblocksSmallerWaiters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := admission.New(10)
		held, _ := b.Acquire(context.Background(), 6, 0)
		big := make(chan bool)
		go func() { _, ok := b.Acquire(context.Background(), 8, time.Second); big <- ok }()
		synctest.Wait()
		small := make(chan bool)
		go func() { _, ok := b.Acquire(context.Background(), 4, time.Hour); small <- ok }()
		synctest.Wait()
		assert.False(t, <-big, "the big waiter times out")
		assert.True(t, <-small, "and the small one behind it, which fits, is admitted")
		b.Release(held)
		b.Release(4)
		assert.Equal(t, int64(0), b.Used())
	})
}

func TestNewPanicsWithoutABound(t *testing.T) {
	assert.Panics(t, func() { admission.New(0) })
}

func TestBoundOfNothingIsNoBound(t *testing.T) {
	assert.Nil(t, admission.Bound(0))
	assert.Nil(t, admission.Bound(-1))
	assert.Equal(t, int64(5), admission.Bound(5).Max())
}
