// Package notification is the contract of a notification plugin: it delivers
// events (a backup succeeded, failed, partly failed) to people or systems.
//
// An author implements Notifier and hands it to sdk.Serve; the conformance kit
// notificationtest checks it through the real plugin boundary.
package notification
