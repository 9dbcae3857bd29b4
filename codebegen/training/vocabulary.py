"""The word stock of the generated parser data: domains, their entities, fields and links.

Owns the hand-written catalogue the spec generator (``codebegen.training.specdata``) draws from and
the rules that turn a compact field token into a name, a type and enum values. It was written
from general knowledge of what people build backends for, never from the dev set
(``bench/dev_specs.jsonl`` is the yardstick and stays unseen by training).

A domain line reads ``key: Title | Entity(field, field:type, field=a/b/c, ...) ... | links``:
``field:type`` gives a type, ``field=a/b/c`` an enum with its values, a trailing ``!`` marks a
unique field; a link ``A>B`` is many_to_one (A points at one B), ``A*B`` many_to_many,
``A-B`` one_to_one. A field without a type gets one from its name (``TYPE_BY_NAME``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

DOMAINS = """
library: Lending library | Book(title, isbn!, published_year:int, pages:int, summary:text) Author(name, biography:text, birth_date) Member(full_name, email!, phone, joined_on:date) Loan(due_date, returned:bool, returned_at) Branch(name, address, opening_hours) | Book>Author, Loan>Book, Loan>Member, Book>Branch
recipes: Recipe sharing | Recipe(title, instructions:text, prep_minutes:int, servings:int, difficulty=easy/medium/hard, is_vegetarian:bool) Ingredient(name!, unit, calories_per_unit:float) Cuisine(name!, region) Review(rating:int, comment:text) | Recipe*Ingredient, Recipe>Cuisine, Review>Recipe
fitness: Fitness tracker | Workout(title, started_at, duration_minutes:int, calories_burned:int, intensity=low/moderate/high) Exercise(name!, muscle_group, equipment) Goal(target_weight:float, deadline:date, achieved:bool) Measurement(weight_kg:float, body_fat:float, measured_on:date) | Workout*Exercise
clinic: Clinic appointments | Patient(first_name, last_name, date_of_birth:date, email, insurance_number!) Doctor(name, specialty, license_number!, phone) Appointment(scheduled_at, reason:text, status=booked/completed/cancelled/no_show) Prescription(medication, dosage, refills:int, notes:text) | Appointment>Patient, Appointment>Doctor, Prescription>Appointment
inventory: Warehouse inventory | Product(name, sku!, unit_price:decimal, quantity_on_hand:int, weight:float, is_active:bool) Supplier(company_name, contact_email:email, phone, website:url) Warehouse(name, city, capacity:int) StockMovement(quantity:int, moved_at, direction=in/out, note:text) | Product>Supplier, StockMovement>Product, StockMovement>Warehouse
events: Event ticketing | Event(title, description:text, starts_at, ends_at, venue, capacity:int, is_public:bool) Ticket(price:decimal, seat, ticket_type=standard/vip/student, purchased_at) Attendee(name, email!) Speaker(name, bio:text, photo_url:url) | Ticket>Event, Ticket>Attendee, Event*Speaker
realestate: Real estate listings | Property(address, city, price:decimal, bedrooms:int, bathrooms:int, area_sqm:float, listing_type=sale/rent, available:bool) Agent(name, email, phone, agency) Viewing(scheduled_for:datetime, feedback:text) Offer(amount:decimal, status=pending/accepted/rejected, submitted_at) | Property>Agent, Viewing>Property, Offer>Property
school: School management | Student(first_name, last_name, enrollment_date:date, grade_level:int, email!) Teacher(name, subject, hire_date:date) Course(title, code!, credits:int, description:text) Enrollment(enrolled_on:date, final_grade:float) Classroom(room_number!, capacity:int, has_projector:bool) | Course>Teacher, Enrollment>Student, Enrollment>Course, Course>Classroom
restaurant: Restaurant orders | MenuItem(name, description:text, price:decimal, category=starter/main/dessert/drink, is_available:bool, spicy_level:int) DiningTable(number:int, seats:int, location) Order(placed_at, total:decimal, status=open/preparing/served/paid, notes:text) Reservation(guest_name, party_size:int, reserved_for:datetime, phone) | Order>DiningTable, Order*MenuItem, Reservation>DiningTable
crm: Sales CRM | Company(name, industry, website:url, employee_count:int, annual_revenue:decimal) Contact(first_name, last_name, email!, phone, job_title) Deal(title, value:decimal, stage=lead/qualified/proposal/won/lost, expected_close:date, probability:int) Activity(kind=call/email/meeting, happened_at, summary:text) | Contact>Company, Deal>Company, Activity>Deal
petcare: Pet clinic | Pet(name, species=dog/cat/bird/other, breed, birth_date, weight:float, microchip_id:uuid) Owner(name, email, phone, address) Visit(visit_date, diagnosis:text, cost:decimal, follow_up_needed:bool) Vaccine(name!, valid_months:int) | Pet>Owner, Visit>Pet, Pet*Vaccine
travel: Travel planner | Trip(title, destination, start_date, end_date, budget:decimal, is_shared:bool) Activity(name, scheduled_at, cost:decimal, booking_url:url) Accommodation(name, check_in:date, check_out:date, price_per_night:decimal, address) Traveler(name, passport_number!, nationality) | Activity>Trip, Accommodation>Trip, Trip*Traveler
projects: Project management | Project(name!, description:text, start_date, deadline:date, budget:decimal, archived:bool) Task(title, details:text, due_date, priority=low/medium/high/urgent, done:bool, estimate_hours:float) Milestone(name, target_date:date, reached:bool) Label(name!, color) TimeEntry(hours:float, logged_on:date, billable:bool) | Task>Project, Milestone>Project, Task*Label, TimeEntry>Task
music: Music streaming catalogue | Artist(name!, country, formed_year:int, bio:text) Album(title, release_date, genre, cover_url:url) Song(title, duration_seconds:int, track_number:int, explicit:bool, lyrics:text) Playlist(name, is_public:bool, description:text) | Album>Artist, Song>Album, Playlist*Song
hotel: Hotel bookings | Hotel(name, city, stars:int, email) Room(number!, room_type=single/double/suite, nightly_rate:decimal, floor:int, smoking_allowed:bool) Guest(full_name, email!, phone, country) Booking(check_in, check_out, total_price:decimal, status=reserved/checked_in/checked_out/cancelled, special_requests:text) | Room>Hotel, Booking>Room, Booking>Guest
helpdesk: Support helpdesk | Ticket(subject, body:text, priority=low/normal/high, status=open/pending/resolved/closed, opened_at) Customer(name, email!, plan=free/pro/enterprise) Agent(name, email, team) Reply(message:text, is_internal:bool, sent_at) Tag(name!) | Ticket>Customer, Ticket>Agent, Reply>Ticket, Ticket*Tag
fleet: Vehicle fleet | Vehicle(plate_number!, make, model_name, year:int, mileage:int, fuel_type=petrol/diesel/electric/hybrid) Driver(name, license_number!, hired_on:date, phone) Trip(started_at, ended_at, distance_km:float, purpose) FuelPurchase(liters:float, cost:decimal, purchased_at, station) MaintenanceRecord(performed_on:date, description:text, cost:decimal) | Trip>Vehicle, Trip>Driver, FuelPurchase>Vehicle, MaintenanceRecord>Vehicle
news: News site | Article(headline, slug!, body:text, published_at, is_featured:bool, word_count:int) Section(name!, position:int) Journalist(name, email, twitter_handle) Comment(content:text, author_name, approved:bool) | Article>Section, Article>Journalist, Comment>Article
banking: Personal finance | Account(name, iban!, currency, balance:decimal, opened_on:date) Transaction(amount:decimal, booked_at, description, kind=debit/credit) Category(name!, monthly_limit:decimal) Budget(month:date, planned:decimal, notes:text) | Transaction>Account, Transaction>Category, Budget>Category
jobs: Job board | Job(title, description:text, salary_min:int, salary_max:int, location, remote:bool, employment_type=full_time/part_time/contract/internship, posted_on:date) Employer(name!, website:url, logo_url:url, about:text) Candidate(name, email!, resume_url:url, years_experience:int) Application(cover_letter:text, applied_at, status=submitted/interviewing/offered/rejected) | Job>Employer, Application>Job, Application>Candidate
garden: Community garden | Plot(code!, size_sqm:float, has_water:bool, rent:decimal) Gardener(name, email, phone, member_since:date) Plant(common_name, latin_name, sun=full/partial/shade, watering_days:int) Harvest(harvested_on:date, weight_kg:float, notes:text) | Plot>Gardener, Harvest>Plot, Plot*Plant
conference: Conference schedule | Talk(title, abstract:text, starts_at, duration_minutes:int, level=beginner/intermediate/advanced) Speaker(name, company, bio:text, email!) Room(name!, capacity:int, floor:int) Sponsor(name!, tier=gold/silver/bronze, website:url, amount:decimal) | Talk>Room, Talk*Speaker
parking: Parking garage | Garage(name, address, total_spots:int, hourly_rate:decimal) Spot(label!, level:int, is_covered:bool, has_charger:bool) Vehicle(plate!, color, make) Session(entered_at, exited_at, fee:decimal, paid:bool) | Spot>Garage, Session>Spot, Session>Vehicle
movies: Film database | Movie(title, release_year:int, runtime_minutes:int, rating=g/pg/pg13/r, synopsis:text, box_office:decimal) Director(name, birth_year:int, nationality) Actor(name, birth_date, agent_email:email) Studio(name!, founded:int, headquarters) | Movie>Director, Movie*Actor, Movie>Studio
shop: Online shop | Product(name, slug!, description:text, price:decimal, stock:int, is_published:bool) Category(name!, position:int) Customer(email!, first_name, last_name, phone) Order(ordered_at, status=new/paid/shipped/delivered/refunded, total_amount:decimal, shipping_address:text) OrderItem(quantity:int, unit_price:decimal) Coupon(code!, percent_off:int, expires_on:date, active:bool) | Product>Category, Order>Customer, OrderItem>Order, OrderItem>Product, Order>Coupon
gym: Gym membership | Member(name, email!, birth_date, membership_type=basic/premium/family, active:bool) Trainer(name, specialty, hourly_rate:decimal) FitnessClass(title, weekday=mon/tue/wed/thu/fri/sat/sun, start_time, max_participants:int) CheckIn(checked_in_at, location) | CheckIn>Member, FitnessClass>Trainer, FitnessClass*Member
podcasts: Podcast host | Show(title!, description:text, language, explicit:bool, feed_url:url) Episode(title, audio_url:url, duration_seconds:int, published_at, season:int, episode_number:int) Host(name, bio:text, email) Listener(nickname, email!, country) | Episode>Show, Show*Host
surveys: Survey tool | Survey(title, description:text, opens_at, closes_at, anonymous:bool) Question(text:text, kind=single_choice/multiple_choice/free_text/rating, position:int, required_answer:bool) Response(submitted_at, respondent_email:email) Answer(value:text, score:int) | Question>Survey, Response>Survey, Answer>Response, Answer>Question
construction: Construction site tracker | Site(name, address, start_date, budget:decimal, status=planning/active/finished) Worker(name, trade, hourly_wage:decimal, certified:bool) Equipment(name, serial_number!, rented:bool, daily_cost:decimal) Inspection(inspected_on:date, passed:bool, remarks:text) | Inspection>Site, Worker*Site, Equipment>Site
charity: Charity donations | Donor(name, email!, phone, is_recurring:bool) Campaign(title, goal_amount:decimal, starts_on:date, ends_on:date, story:text) Donation(amount:decimal, donated_at, method=card/bank_transfer/cash/paypal, anonymous:bool) Volunteer(name, email, skills:text, available_weekends:bool) | Donation>Donor, Donation>Campaign, Volunteer*Campaign
farm: Farm management | Field(name, hectares:float, soil_type, irrigated:bool) Crop(name!, variety, days_to_harvest:int) Planting(planted_on:date, expected_yield:float, actual_yield:float) Animal(tag_number!, species=cow/sheep/goat/pig/chicken, born_on:date, weight:float) | Planting>Field, Planting>Crop, Animal>Field
gaming: Game leaderboard | Player(username!, email!, country, level:int, xp:int, is_banned:bool) Game(title!, genre, max_players:int, released_on:date) GameMatch(played_at, duration_seconds:int, mode=ranked/casual/tournament) Score(points:int, kills:int, won:bool) Achievement(name!, description:text, rarity=common/rare/epic/legendary) | Score>Player, Score>GameMatch, GameMatch>Game, Player*Achievement
legal: Law firm cases | Client(name, email, phone, company) LegalCase(title, case_number!, opened_on:date, status=open/on_hold/closed, court, description:text) Lawyer(name, bar_number!, hourly_rate:decimal) Document(title, file_url:url, uploaded_at, confidential:bool) Invoice(amount:decimal, issued_on:date, due_on:date, paid:bool) | LegalCase>Client, LegalCase*Lawyer, Document>LegalCase, Invoice>LegalCase
courses: Online courses | Course(title, slug!, summary:text, price:decimal, level=beginner/intermediate/advanced, published:bool) Lesson(title, video_url:url, duration_minutes:int, position:int, free_preview:bool) Instructor(name, bio:text, website:url) Quiz(title, pass_mark:int) Certificate(issued_on:date, certificate_code:uuid) | Lesson>Course, Course>Instructor, Quiz>Lesson, Certificate>Course
housing: Apartment rentals | Building(name, street, city, floors:int, has_elevator:bool) Apartment(unit_number, rooms:int, size_sqm:float, monthly_rent:decimal, furnished:bool) Tenant(name, email!, phone, move_in_date:date) Lease(starts_on:date, ends_on:date, deposit:decimal, signed:bool) MaintenanceRequest(issue:text, urgency=low/medium/high/emergency, reported_at, resolved:bool) | Apartment>Building, Lease>Apartment, Lease>Tenant, MaintenanceRequest>Apartment
weather: Weather stations | Station(name!, latitude:float, longitude:float, elevation_m:int, active:bool) Reading(temperature_c:float, humidity:float, pressure_hpa:float, wind_speed:float, recorded_at) Alert(severity=advisory/watch/warning, message:text, issued_at, expires_at) Sensor(serial!, kind=thermometer/barometer/anemometer/hygrometer, installed_on:date) | Reading>Station, Alert>Station, Sensor>Station
social: Social network | Profile(display_name, bio:text, avatar_url:url, birthday:date, is_private:bool) Post(content:text, posted_at, likes_count:int, visibility=public/friends/private) Comment(body:text, edited:bool) Group(name!, description:text, is_open:bool) Message(text:text, sent_at, read:bool) | Post>Profile, Comment>Post, Comment>Profile, Group*Profile
bikes: Bike sharing | Bike(serial_number!, model_name, electric:bool, battery_level:int, status=available/in_use/maintenance) Dock(name, latitude:float, longitude:float, slots:int) Rider(name, email!, phone, credit:decimal) Ride(started_at, ended_at, distance_km:float, price:decimal) | Bike>Dock, Ride>Bike, Ride>Rider
hr: HR system | Employee(first_name, last_name, work_email:email, hire_date:date, salary:decimal, employment_status=active/on_leave/terminated) Department(name!, budget:decimal, location) Position(title, level:int, remote_allowed:bool) LeaveRequest(start_date, end_date, reason:text, approved:bool) PerformanceReview(period, rating:int, comments:text) | Employee>Department, Employee>Position, LeaveRequest>Employee, PerformanceReview>Employee
auction: Online auctions | Item(title, description:text, starting_price:decimal, reserve_price:decimal, ends_at, condition=new/used/refurbished) Bid(amount:decimal, placed_at) Seller(name, rating:float, email!) Watchlist(name, notify:bool) | Item>Seller, Bid>Item, Watchlist*Item
museum: Museum collection | Artwork(title, year_created:int, medium, dimensions, insured_value:decimal, on_display:bool) Artist(name, born:int, died:int, nationality) Exhibition(title, opens_on:date, closes_on:date, curator) Gallery(name!, floor:int, climate_controlled:bool) | Artwork>Artist, Exhibition*Artwork, Exhibition>Gallery
iot: Smart home | Device(name, serial!, kind=light/thermostat/camera/lock/plug, firmware_version, online:bool, last_seen_at) Room(name, floor:int) Automation(name, trigger, enabled:bool, config:json) Reading(value:float, unit, taken_at) | Device>Room, Reading>Device, Automation*Device
dating: Meetup groups | Meetup(title, description:text, happens_at, location, max_attendees:int, online:bool) Organizer(name, email!, city) Rsvp(response=yes/no/maybe, guests:int, responded_at) Venue(name, address, capacity:int, website:url) | Meetup>Organizer, Rsvp>Meetup, Meetup>Venue
printing: Print shop | Job(title, copies:int, color:bool, paper_size=a4/a3/letter, due_at, price:decimal) Customer(name, email!, phone, company) Printer(name!, model_name, pages_per_minute:int, online:bool) Material(name!, stock_sheets:int, cost_per_sheet:decimal) | Job>Customer, Job>Printer, Job*Material
"""

# How a field name's words suggest its type when the catalogue gives none (first match wins).
TYPE_BY_NAME: list[tuple[str, str]] = [
    (r"(^is_|^has_|_allowed$|^allow_)", "bool"),
    (r"(email)", "email"),
    (r"(_url$|^url$|^website$|_link$)", "url"),
    (r"(_at$|_time$|^started|^ended)", "datetime"),
    (r"(date$|_on$|^birthday$|^deadline$)", "date"),
    (r"(price|amount|cost|total|balance|salary|fee|budget|revenue|rate$|wage)", "decimal"),
    (r"(count$|^number_of|quantity|^age$|_minutes$|_seconds$|^pages$|^year$|_year$)", "int"),
    (r"(description|^bio$|^body$|notes$|^content$|^comment$|summary|^details$|^message$)", "text"),
    (r"(uuid|_guid$)", "uuid"),
    (r"(metadata|settings|^config$|^attributes$)", "json"),
]


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    unique: bool = False
    values: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Entity:
    name: str
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Link:
    source: str
    target: str
    kind: str  # many_to_one, many_to_many, one_to_one


@dataclass(frozen=True)
class Domain:
    key: str
    title: str
    entities: tuple[Entity, ...]
    links: tuple[Link, ...] = field(default_factory=tuple)


def guess_type(name: str) -> str:
    for pattern, type_ in TYPE_BY_NAME:
        if re.search(pattern, name):
            return type_
    return "str"


def parse_field(token: str) -> Field:
    token = token.strip()
    unique = token.endswith("!")
    token = token.rstrip("!")
    if "=" in token:
        name, values = token.split("=", 1)
        return Field(name, "enum", unique, tuple(values.split("/")))
    if ":" in token:
        name, type_ = token.split(":", 1)
        return Field(name, type_, unique)
    return Field(token, guess_type(token), unique)


def parse_domains(text: str = DOMAINS) -> list[Domain]:
    domains = []
    for line in text.strip().splitlines():
        key, rest = line.split(":", 1)
        title, body, links = (part.strip() for part in rest.split("|"))
        entities = tuple(
            Entity(name, tuple(parse_field(t) for t in inner.split(",")))
            for name, inner in re.findall(r"([A-Z][A-Za-z]*)\(([^)]*)\)", body)
        )
        parsed_links = []
        for link in links.split(","):
            a, op, b = re.match(r"\s*(\w+)\s*([>*-])\s*(\w+)", link).groups()
            kind = {">": "many_to_one", "*": "many_to_many", "-": "one_to_one"}[op]
            parsed_links.append(Link(a, b, kind))
        domains.append(Domain(key.strip(), title, entities, tuple(parsed_links)))
    return domains


# Fields any entity may plausibly carry, mixed in for variety beyond the catalogue.
EXTRA_FIELDS: tuple[Field, ...] = tuple(
    parse_field(t)
    for t in "notes:text, nickname, color, code!, reference!, priority=low/medium/high, tags:json, "
    "is_archived:bool, sort_order:int, external_id:uuid, homepage:url, contact_email:email, "
    "expires_at, valid_from:date, score:float, discount:decimal, visible:bool".split(", ")
)
# Extra domains built from neutral nouns, so entity names are not only the catalogue's.
EXTRA_ENTITY_NAMES = (
    "Widget Gadget Batch Shipment Invoice Receipt Voucher Badge Ticket Sample Report Note Folder "
    "Record Asset License Contract Vendor Route Stop Shift Desk Locker Kit Module Lab Specimen Trial "
    "Campaign Lead Region Store Brand Feedback Subscription Plan Tournament Team Fixture Season Venue"
).split()
