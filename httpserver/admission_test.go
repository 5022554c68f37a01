package httpserver

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAdmissionInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &admission{max: 10}
		n, ok := a.acquire(context.Background(), 8, time.Second)
		require.True(t, ok)
		require.Equal(t, int64(8), n)

		got := make(chan int64, 2)
		for _, want := range []int64{5, 1} { // 5 waits; 1 would fit but queues behind it
			go func() {
				n, ok := a.acquire(context.Background(), want, time.Minute)
				assert.True(t, ok)
				got <- n
			}()
			synctest.Wait()
		}
		assert.Empty(t, got, "no waiter overtakes the oldest")
		a.release(8)
		assert.ElementsMatch(t, []int64{5, 1}, []int64{<-got, <-got})
		assert.Equal(t, int64(6), a.used)
	})
}

func TestAdmissionTimesOutAndCaps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &admission{max: 10}
		n, ok := a.acquire(context.Background(), 100, time.Second)
		require.True(t, ok, "a request larger than the bound runs alone")
		assert.Equal(t, int64(10), n)

		start := time.Now()
		_, ok = a.acquire(context.Background(), 1, 3*time.Second)
		assert.False(t, ok)
		assert.Equal(t, 3*time.Second, time.Since(start))

		ctx, cancel := context.WithCancel(context.Background())
		go func() { time.Sleep(time.Second); cancel() }()
		_, ok = a.acquire(ctx, 1, time.Hour)
		assert.False(t, ok, "the request's context ended")

		a.release(n)
		assert.Equal(t, int64(0), a.used)
		assert.Zero(t, a.waiters.Len(), "waiters that gave up are gone")
		n, ok = a.acquire(context.Background(), 10, 0)
		assert.True(t, ok)
		assert.Equal(t, int64(10), n)
	})
}

func TestAdmissionGiveUpUnblocksSmallerWaiters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &admission{max: 10}
		held, _ := a.acquire(context.Background(), 6, 0)
		big := make(chan bool)
		go func() { _, ok := a.acquire(context.Background(), 8, time.Second); big <- ok }()
		synctest.Wait()
		small := make(chan bool)
		go func() { _, ok := a.acquire(context.Background(), 4, time.Hour); small <- ok }()
		synctest.Wait()
		assert.False(t, <-big, "the big waiter times out")
		assert.True(t, <-small, "and the small one behind it, which fits, is admitted")
		a.release(held)
	})
}
