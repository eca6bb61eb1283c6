// Package notificationtest is the conformance kit for notification plugins.
// A notifier's whole contract test is one call:
//
//	func TestConformance(t *testing.T) {
//		inbox := startMyReceiver(t) // a real server the plugin delivers to
//		notificationtest.Run(t, notificationtest.Options{
//			Plugin:    newPlugin(),
//			Config:    spec.Config{"url": inbox.URL},
//			Receiver:  inbox, // maps what arrived back to a notification.Event
//			Rejecting: spec.Config{"url": inbox.RejectURL}, RejectedWith: "quota exhausted",
//			Slow:      spec.Config{"url": inbox.SlowURL},
//			InvalidConfigs: []notificationtest.InvalidConfig{
//				{Config: spec.Config{"url": "ftp://x"}, Fields: []string{"url"}},
//			},
//		})
//	}
//
// An author starts with Options: the kit cannot know where a notifier
// delivers, so the test sets up the receiving end (usually an httptest server
// on 127.0.0.1, an SMTP sink, ...) and tells the kit how to reach it and how to
// read back what arrived. Run then serves the plugin in-process through the
// real gRPC boundary (sdktest.Start) and checks Describe, ValidateConfig,
// delivery of awkward events, refused deliveries, cancellation, deadlines and
// concurrent sends.
package notificationtest
