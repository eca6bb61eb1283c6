package wire

import (
	"context"
	"errors"

	"google.golang.org/grpc"

	pb "github.com/dbkeep/dbkeep/sdk/internal/pb/dbkeep/plugin/v1"
	"github.com/dbkeep/dbkeep/sdk/notification"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

var severities = map[notification.Severity]pb.Severity{
	notification.SeverityInfo:    pb.Severity_SEVERITY_INFO,
	notification.SeverityWarning: pb.Severity_SEVERITY_WARNING,
	notification.SeverityError:   pb.Severity_SEVERITY_ERROR,
}

var severitiesFromPB = reverse(severities)

type notificationServer struct {
	pb.UnimplementedNotificationServiceServer
	s *Server
}

func (ns *notificationServer) Send(ctx context.Context, req *pb.SendRequest) (*pb.SendResponse, error) {
	cfg, err := ns.s.config(ctx, req.GetConfig())
	if err != nil {
		return nil, toStatus(err)
	}
	if req.GetEvent() == nil {
		return nil, toStatus(errors.New("send: no event"))
	}
	return &pb.SendResponse{}, toStatus(ns.s.Notifier.Send(ctx, cfg, eventFromPB(req.GetEvent())))
}

func eventToPB(e notification.Event) *pb.Event {
	out := &pb.Event{
		Type: e.Type, Severity: severities[e.Severity], Title: e.Title, Text: e.Text,
		Fields: e.Fields, Time: timeToPB(e.Time),
	}
	if x := e.Execution; x != nil {
		out.Execution = &pb.ExecutionRef{Id: x.ID, JobId: x.JobID, JobName: x.JobName, Url: x.URL}
	}
	return out
}

func eventFromPB(p *pb.Event) notification.Event {
	out := notification.Event{
		Type: p.GetType(), Severity: severitiesFromPB[p.GetSeverity()], Title: p.GetTitle(), Text: p.GetText(),
		Fields: p.GetFields(), Time: timeFromPB(p.GetTime()),
	}
	if x := p.GetExecution(); x != nil {
		out.Execution = &notification.ExecutionRef{ID: x.GetId(), JobID: x.GetJobId(), JobName: x.GetJobName(), URL: x.GetUrl()}
	}
	return out
}

// NotifierClient implements notification.Notifier by calling a plugin.
type NotifierClient struct {
	c pb.NotificationServiceClient
}

var _ notification.Notifier = (*NotifierClient)(nil)

func NewNotifierClient(cc grpc.ClientConnInterface) *NotifierClient {
	return &NotifierClient{c: pb.NewNotificationServiceClient(cc)}
}

func (nc *NotifierClient) Send(ctx context.Context, cfg spec.Config, ev notification.Event) error {
	_, err := nc.c.Send(ctx, &pb.SendRequest{Config: configToPB(cfg), Event: eventToPB(ev)})
	return fromStatus(err)
}
